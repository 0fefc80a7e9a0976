"""Carrying out a claimed decision: EHR write, Task, patient message — each step recorded, none repeated.

An approval writes what its kind's contract says (`contracts.md`), as one transaction planned from the
EHR's current state: a retry after a crash finds what the first attempt wrote. The Task close is
idempotent, and the patient's thread is resumed only while it still waits for this item. `finish` may
therefore run again on any half-done item.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from agent.models import Decision
from carecoord.audit import AuditLog, AuditRecord
from carecoord.review.clinicians import Clinicians
from carecoord.review.contracts import Approval, ApprovalConflict, ApprovalPolicy, ContractPlanner
from carecoord.review.drafts import stored_draft
from carecoord.review.errors import ReviewError
from carecoord.review.models import ReviewItem
from carecoord.review.outcome import DecisionOutcome, outcome_of
from carecoord.review.queue import ReviewQueue
from carecoord.review.tasks import TaskClosing, TaskMirror, TaskStatus
from carecoord.review.threads import ThreadResumer
from carecoord.review.wording import approved_action
from carecoord.users import User
from tools.errors import FhirError, FhirRejected
from tools.fhir import FhirGateway
from tools.record import PatientRecord, ToolCall

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


class DecisionEffects:
    """Does what a decision implies, in order, recording each step on the item."""

    def __init__(
        self,
        queue: ReviewQueue,
        audit: AuditLog,
        tasks: TaskMirror,
        gateway: FhirGateway,
        threads: ThreadResumer,
        policy: ApprovalPolicy | None = None,
    ) -> None:
        self.queue = queue
        self.audit = audit
        self.tasks = tasks
        self.gateway = gateway
        self.threads = threads
        """Resumes the patient's parked thread with the decision (the agent implements it)."""
        self.contracts = ContractPlanner(gateway, policy or ApprovalPolicy())
        self.clinicians = Clinicians(gateway)

    def finish(self, item: ReviewItem, actor: User) -> DecisionOutcome:
        """Do what remains of a claimed decision; raises `ReviewError` (retryable) if the EHR fails."""
        written: dict[str, Any] | None = None
        try:
            reference = item.fhir_reference
            if item.status == "approved" and reference is None:
                written = self._commit(item, actor)
                reference = f"{written['resourceType']}/{written['id']}"
            elif item.status == "approved" and reference:
                written = self._read(reference)
            self._close_task(item, actor, reference)
        except ApprovalConflict as exc:
            reopened = AuditRecord(actor.name, "review.reopen", tuple(subjects(item)), str(exc))
            self.queue.reopen(item.id, reopened)
            raise
        except FhirError as exc:
            raise ReviewError(
                f"{item.id} is decided by {actor.name}, but the EHR could not be updated ({exc}). "
                "Run the same command again to finish; nothing will be written twice."
            ) from exc
        message = self._deliver(item, actor, written)
        record = (
            AuditRecord(actor.name, "review.deliver", tuple(subjects(item)), message) if message else None
        )
        self.queue.set_completed(item.id, message, record)
        return outcome_of(self.queue.require(item.id))

    def _commit(self, item: ReviewItem, actor: User) -> dict[str, Any]:
        """Carry out the approval's contract; a write that lost a race is planned again once."""
        record = PatientRecord(
            gateway=self.gateway, patient_id=item.patient_id, on_call=self._tool_logger(actor, item)
        )
        draft = stored_draft(item)
        approval = Approval(
            draft=draft,
            final=item.final_resource or draft.approved_resource(),
            clinician=self.clinicians.reference(actor),
            clinician_name=actor.shown_as,
        )
        for attempt in range(2):
            try:
                plan = self.contracts.plan(approval)
            except ApprovalConflict:
                record.commit_all(draft, self.contracts.withdraw(approval))
                raise
            try:
                stored = record.commit_all(draft, plan.writes)
                break
            except FhirRejected as exc:
                if exc.status not in (409, 412) or attempt == 1:
                    raise
        written = stored[plan.primary] if plan.writes else plan.done
        if written is None:
            raise ReviewError(f"{item.id}: the approval planned nothing to write")
        self.queue.set_committed(item.id, f"{written['resourceType']}/{written['id']}")
        return written

    def _read(self, reference: str) -> dict[str, Any] | None:
        """The resource an earlier attempt wrote (to tell the patient its values); None if unreadable."""
        kind, _, resource_id = reference.partition("/")
        try:
            return self.gateway.read(kind, resource_id)
        except FhirError:
            return None

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

    def _deliver(self, item: ReviewItem, actor: User, written: dict[str, Any] | None) -> str | None:
        """Resume the patient's thread with the decision, if it is parked waiting for one."""
        outcome = PATIENT_OUTCOME.get(item.status)
        if outcome is None:
            return None
        threads = self.threads
        if item.kind == "emergency":
            if not threads.is_waiting(item.thread_id):
                return None  # emergencies do not park the thread; only a thread parked for others hears it
        elif not threads.is_waiting(item.thread_id, item.id):
            return threads.delivered(item.thread_id, item.id)
        decision = Decision.model_validate(
            {
                "escalation_id": item.id,
                "outcome": outcome,
                "clinician": actor.shown_as,
                "note": item.note or "",
                "text": item.reply or "",
                "action_summary": _action_summary(item, written),
            }
        )
        return threads.deliver(item.patient_id, item.thread_id, decision)

    def _tool_logger(self, actor: User, item: ReviewItem) -> Callable[[ToolCall], None]:
        def log(call: ToolCall) -> None:
            payload = json.dumps({"name": call.name, "args": call.args, "ok": call.ok, "error": call.error})
            self.audit.append(actor.name, f"fhir.{call.name}", subjects(item), payload)

        return log


def _action_summary(item: ReviewItem, written: dict[str, Any] | None) -> str:
    """What was approved, from the values written; flags a clinician's change to the draft."""
    if item.status != "approved":
        return item.summary
    said = approved_action(item.draft_kind or "", written, item.summary) if written else item.summary
    if item.final_resource and item.final_resource != stored_draft(item).approved_resource():
        return f"{said} (adjusted by your care team)"
    return said
