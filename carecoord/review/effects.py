"""Carrying out a claimed decision: EHR write, Task, patient message — each step recorded, none repeated.

The approved draft is committed with a conditional create on its identifier, so a retry after a crash
finds the first write. The Task close is idempotent, and the patient's thread is resumed only while
it still waits for this item. `finish` may therefore run again on any half-done item.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from agent.models import Decision
from carecoord.audit import AuditLog, AuditRecord
from carecoord.review.drafts import stored_draft
from carecoord.review.errors import ReviewError
from carecoord.review.models import ReviewItem
from carecoord.review.outcome import DecisionOutcome, outcome_of
from carecoord.review.queue import ReviewQueue
from carecoord.review.tasks import TaskClosing, TaskMirror, TaskStatus
from carecoord.users import User
from tools.errors import FhirError
from tools.fhir import FhirGateway
from tools.record import PatientRecord, ToolCall

if TYPE_CHECKING:
    from agent.service import ChatService
    from agent.state import TurnState

CARE_TEAM = "care team: "
"""How a delivered decision starts in the patient's transcript."""

TASK_STATUS: dict[str, TaskStatus] = {
    "approved": "completed",
    "answered": "completed",
    "notified": "completed",
    "rejected": "rejected",
    "expired": "cancelled",
}
PATIENT_OUTCOME = {
    "approved": "approved",
    "rejected": "rejected",
    "answered": "answered",
    "notified": "acknowledged",
}
"""What the patient is told per item status (an expired item tells them nothing)."""


def subjects(item: ReviewItem) -> list[str]:
    """The audit subjects of an item."""
    found = [f"review:{item.id}", f"Patient/{item.patient_id}", f"thread:{item.thread_id}"]
    if item.fhir_reference:
        found.append(item.fhir_reference)
    return found


def _already_delivered(item: ReviewItem, state: TurnState) -> str | None:
    """The line the patient already got for this item, when an earlier attempt delivered it.

    (Delivery resumes the thread in the checkpoint store; if recording completion failed after that,
    the retry must record what the patient saw rather than nothing.)
    """
    if state.decision is None or state.decision.escalation_id != item.id:
        return None
    said = [line for line in state.transcript if line.startswith(CARE_TEAM)]
    return said[-1].removeprefix(CARE_TEAM) if said else None


class DecisionEffects:
    """Does what a decision implies, in order, recording each step on the item."""

    def __init__(
        self,
        queue: ReviewQueue,
        audit: AuditLog,
        tasks: TaskMirror,
        gateway: FhirGateway,
        chat: Callable[[], ChatService],
    ) -> None:
        self.queue = queue
        self.audit = audit
        self.tasks = tasks
        self.gateway = gateway
        self.chat = chat
        """Gives the chat service that resumes threads (opened only when a thread must resume)."""

    def finish(self, item: ReviewItem, actor: User) -> DecisionOutcome:
        """Do what remains of a claimed decision; raises `ReviewError` (retryable) if the EHR fails."""
        try:
            reference = item.fhir_reference
            if item.status == "approved" and reference is None:
                reference = self._commit(item, actor)
            self._close_task(item, actor, reference)
        except FhirError as exc:
            raise ReviewError(
                f"{item.id} is decided by {actor.name}, but the EHR could not be updated ({exc}). "
                "Run the same command again to finish; nothing will be written twice."
            ) from exc
        message = self._deliver(item, actor)
        record = (
            AuditRecord(actor.name, "review.deliver", tuple(subjects(item)), message) if message else None
        )
        self.queue.set_completed(item.id, message, record)
        return outcome_of(self.queue.require(item.id))

    def _commit(self, item: ReviewItem, actor: User) -> str:
        record = PatientRecord(
            gateway=self.gateway, patient_id=item.patient_id, on_call=self._tool_logger(actor, item)
        )
        written = record.commit(stored_draft(item, item.final_resource)).resource
        reference = f"{written['resourceType']}/{written['id']}"
        self.queue.set_committed(item.id, reference)
        return reference

    def _close_task(self, item: ReviewItem, actor: User, reference: str | None) -> None:
        closing = TaskClosing(
            status=TASK_STATUS[item.status],
            owner=actor.shown_as,
            focus=reference,
            output=item.reply,
            reason=item.note if item.status in ("rejected", "expired") else None,
        )
        task = self.tasks.close(item, closing)
        self.queue.set_task(item, str(task["id"]))
        self.audit.append(actor.name, "fhir.task", [f"Task/{task['id']}", *subjects(item)], json.dumps(task))

    def _deliver(self, item: ReviewItem, actor: User) -> str | None:
        """Resume the patient's thread with the decision, if it is parked waiting for one."""
        outcome = PATIENT_OUTCOME.get(item.status)
        if outcome is None:
            return None
        chat = self.chat()
        if item.kind == "emergency":
            if not chat.is_waiting(item.thread_id):
                return None
        else:
            state = chat.state(item.thread_id)
            if item.id not in {ref.id for ref in state.pending}:
                return _already_delivered(item, state)
        decision = Decision.model_validate(
            {
                "escalation_id": item.id,
                "outcome": outcome,
                "clinician": actor.shown_as,
                "note": item.note or "",
                "text": item.reply or "",
                "action_summary": _action_summary(item),
            }
        )
        return chat.deliver(item.patient_id, item.thread_id, decision)

    def _tool_logger(self, actor: User, item: ReviewItem) -> Callable[[ToolCall], None]:
        def log(call: ToolCall) -> None:
            payload = json.dumps({"name": call.name, "args": call.args, "ok": call.ok, "error": call.error})
            self.audit.append(actor.name, f"fhir.{call.name}", subjects(item), payload)

        return log


def _action_summary(item: ReviewItem) -> str:
    """What was decided, in the patient's words; flags a clinician's change to the draft."""
    if item.final_resource and item.final_resource != stored_draft(item).approved_resource():
        return f"{item.summary} (adjusted by your care team)"
    return item.summary
