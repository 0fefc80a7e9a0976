"""`ReviewService`: clinicians decide review items; each decision reaches the EHR and the patient once.

A decision is first claimed in the queue (exactly one of two racing clinicians wins; the loser gets
`AlreadyDecided`), then carried out by `DecisionEffects`: the approved draft committed to FHIR once,
the item's Task closed, the patient's parked thread resumed. If anything stops it half-way, the same
call by the same clinician again — or `repair` — finishes it without repeating a step.
"""

from __future__ import annotations

import builtins
import contextlib
import json
from types import TracebackType
from typing import Any

from carecoord.audit import AuditLog, AuditRecord
from carecoord.review.choices import slot_choices
from carecoord.review.claims import set_assignee
from carecoord.review.contracts import ApprovalPolicy
from carecoord.review.drafts import approved_resource
from carecoord.review.effects import DecisionEffects, subjects
from carecoord.review.errors import AlreadyDecided, ItemNotFound, NotAllowed, ReviewError
from carecoord.review.models import ReviewItem
from carecoord.review.outcome import DecisionOutcome
from carecoord.review.queue import ItemDetail, QueueItem, ReviewQueue
from carecoord.review.rules import DECISIONS, OUTCOME_STATUS, DecisionKind
from carecoord.review.tasks import TaskMirror
from carecoord.review.threads import ThreadResumer
from carecoord.users import User, UserStore
from tools import views
from tools.fhir import FhirGateway
from tools.record import PatientRecord

__all__ = [
    "AlreadyDecided",
    "DecisionOutcome",
    "ItemNotFound",
    "NotAllowed",
    "ReviewError",
    "ReviewService",
    "ThreadResumer",
]

SYSTEM = User(name="system", role="admin", display_name="CareCoord")
"""The actor of automatic expiry."""


class ReviewService:
    """Decisions on review items, attributed to users who hold a deciding role."""

    def __init__(
        self,
        queue: ReviewQueue,
        audit: AuditLog,
        users: UserStore,
        gateway: FhirGateway,
        threads: ThreadResumer,
        tasks: TaskMirror | None = None,
        policy: ApprovalPolicy | None = None,
    ) -> None:
        self.queue = queue
        self.audit = audit
        self.users = users
        self.gateway = gateway
        """The process's one FHIR gateway: approved drafts are committed through it."""
        self.tasks = tasks or queue.tasks or TaskMirror(gateway)
        self.threads = threads
        """Resumes patients' parked threads with decisions (the agent's side implements it)."""
        self.policy = policy or ApprovalPolicy()
        """Clinic policy for approvals (refills on an approved refill)."""
        self.effects = DecisionEffects(queue, audit, self.tasks, self.gateway, threads, self.policy)

    def __enter__(self) -> ReviewService:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to close: the services it uses belong to whoever built them (the composition root)."""

    # -- reading and signing in ------------------------------------------------------------------
    def list(
        self,
        status: str | None = None,
        level: str | None = None,
        kind: str | None = None,
        patient_id: str | None = None,
    ) -> builtins.list[QueueItem]:
        """Queue items, most urgent first."""
        return self.queue.list(status=status, level=level, kind=kind, patient_id=patient_id)

    def detail(self, item_id: str) -> ItemDetail:
        """Everything about one item."""
        return self.queue.detail(item_id)

    def slot_choices(self, item_id: str) -> builtins.list[views.Slot]:
        """Free slots a clinician may move a drafted booking to (the drafted one first)."""
        item = self.queue.require(item_id)
        if not item.draft_resource or item.draft_kind not in ("booking", "reschedule"):
            return []
        return slot_choices(PatientRecord(self.gateway, item.patient_id), item.draft_resource)

    def login(self, name: str, password: str) -> User | None:
        """Check a password and log the attempt either way."""
        user = self.users.authenticate(name, password)
        self.audit.record_login(name, user is not None)
        return user

    # -- decisions -------------------------------------------------------------------------------
    def approve(
        self, item_id: str, user: str, note: str = "", edited_resource: dict[str, Any] | None = None
    ) -> DecisionOutcome:
        """Approve a drafted action (optionally as edited): commit it, close the Task, tell the patient."""
        return self._decide(item_id, user, "approve", note=note, edited=edited_resource)

    def reject(self, item_id: str, user: str, reason: str) -> DecisionOutcome:
        """Reject a drafted action; the patient is told the reason."""
        if not reason.strip():
            raise ReviewError("a reason is required to reject (the patient is told it)")
        return self._decide(item_id, user, "reject", note=reason.strip())

    def answer(self, item_id: str, user: str, text: str) -> DecisionOutcome:
        """Answer a question; the text reaches the patient as from the care team."""
        if not text.strip():
            raise ReviewError("the answer is empty")
        return self._decide(item_id, user, "answer", reply=text.strip())

    def acknowledge(self, item_id: str, user: str) -> DecisionOutcome:
        """Record who saw an emergency and when (the patient already had emergency instructions)."""
        actor = self._actor(user, item_id)
        item = self.queue.require(item_id)
        if item.kind != "emergency":
            raise ReviewError(_wrong_decision(item, "acknowledge"))
        if item.acknowledged_by is not None:
            if item.acknowledged_by == actor.name and item.completed_at is None:
                return self._finish_again(item, actor)
            raise AlreadyDecided(item.acknowledged_by, "acknowledged", item.id, item.acknowledged_at)
        record = AuditRecord(actor.name, "review.acknowledge", tuple(subjects(item)), item.id)
        if not self.queue.claim_acknowledgement(item, actor.name, record):
            raise self._already(item.id)
        return self._finish(self.queue.require(item.id), actor)

    def claim(self, item_id: str, user: str) -> QueueItem:
        """Mark the item as `user`'s to work on (audited); refused while someone else holds it."""
        return set_assignee(self.queue, item_id, self._actor(user, item_id), take=True)

    def unclaim(self, item_id: str, user: str) -> QueueItem:
        """Release `user`'s claim on the item (audited)."""
        return set_assignee(self.queue, item_id, self._actor(user, item_id), take=False)

    def repair(self, user: str) -> builtins.list[DecisionOutcome]:
        """Finish every decision that was interrupted, each in its decider's name."""
        actor = self._actor(user, "*")
        finished = []
        for item in self.queue.unfinished():
            decider_name = item.acknowledged_by or item.decided_by or SYSTEM.name
            decider = self.users.get(decider_name) or User(name=decider_name, role="clinician")
            if not self.queue.claim_finish(item):
                continue  # another session is finishing it right now
            self.audit.append(actor.name, "review.repair", subjects(item), decider_name)
            finished.append(self._finish(item, decider))
        return finished

    def expire_overdue(self) -> builtins.list[DecisionOutcome]:
        """Expire open items past due (optional housekeeping: overdue items are reported either way)."""
        outcomes = []
        for item in self.queue.expire():
            self.audit.append(SYSTEM.name, "review.expire", subjects(item), item.id)
            outcomes.append(self._finish(item, SYSTEM))
        return outcomes

    def _decide(
        self,
        item_id: str,
        user: str,
        decision: DecisionKind,
        note: str = "",
        reply: str | None = None,
        edited: dict[str, Any] | None = None,
    ) -> DecisionOutcome:
        actor = self._actor(user, item_id)
        item = self.queue.require(item_id)
        status = OUTCOME_STATUS[decision]
        if item.status != "pending":
            if item.status == status and item.decided_by == actor.name and item.completed_at is None:
                return self._finish_again(item, actor)
            raise AlreadyDecided(item.decided_by or SYSTEM.name, item.status, item.id, item.decided_at)
        if decision not in DECISIONS.get(item.kind, ()):
            raise ReviewError(_wrong_decision(item, decision))
        final = approved_resource(item, edited) if decision == "approve" else None
        payload = json.dumps({"decision": decision, "note": note, "reply": reply, "resource": final})
        record = AuditRecord(actor.name, f"review.{decision}", tuple(subjects(item)), payload)
        if not self.queue.claim(item, status, actor.name, note, reply, final, record):
            raise self._already(item.id)
        return self._finish(self.queue.require(item.id), actor)

    def _finish(self, item: ReviewItem, actor: User) -> DecisionOutcome:
        """Carry out the decision (this session holds its finish lease), releasing the lease on failure."""
        try:
            return self.effects.finish(item, actor)
        except Exception:
            with contextlib.suppress(Exception):  # if even this fails, the lease lapses by itself
                self.queue.release_finish(item.id)
            raise

    def _finish_again(self, item: ReviewItem, actor: User) -> DecisionOutcome:
        """Finish an interrupted decision of the same user, unless another session is finishing it."""
        if not self.queue.claim_finish(item):
            raise ReviewError(
                f"{item.id} is being carried out in another session right now; if it does not complete, "
                "run the same command again in a minute."
            )
        return self._finish(self.queue.require(item.id), actor)

    # -- who may act -----------------------------------------------------------------------------
    def _actor(self, user: str, item_id: str) -> User:
        found = self.users.get(user)
        if found is not None and found.can_decide:
            return found
        reason = (
            f"unknown user {user!r} (add one with `carecoord users add`)"
            if found is None
            else f"{user} has the {found.role} role; only a clinician or admin may decide review items"
        )
        self.audit.append(user, "review.denied", [f"review:{item_id}"], reason)
        raise NotAllowed(reason)

    def _already(self, item_id: str) -> AlreadyDecided:
        item = self.queue.require(item_id)
        if item.kind == "emergency":
            return AlreadyDecided(item.acknowledged_by or "?", "acknowledged", item.id, item.acknowledged_at)
        return AlreadyDecided(item.decided_by or "?", item.status, item.id, item.decided_at)


def _wrong_decision(item: ReviewItem, decision: str) -> str:
    allowed = " or ".join(DECISIONS.get(item.kind, ())) or "no decision"
    return f"{item.id} is a {item.kind.replace('_', ' ')}: it takes {allowed}, not {decision}"
