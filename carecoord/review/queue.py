"""`ReviewQueue`: files escalations (idempotently), lists them, and records decisions race-free.

The patient's question is stored only as a hash here: the transcript lives with the thread, and the
queue is read by many people. Decisions are claimed with optimistic concurrency
(`UPDATE … WHERE status='pending' AND version=…`), so of two clinicians deciding at once exactly one
wins; what the decision then does (EHR write, Task, patient message) is recorded step by step, so an
interrupted decision can be finished without repeating a step.
"""

from __future__ import annotations

import builtins
import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.escalations import EscalationRequest
from agent.models import EscalationRef, EscalationStatus
from carecoord.audit import AuditLog, AuditRecord
from carecoord.db import is_sqlite
from carecoord.migrations import migrate
from carecoord.notify.status import by_item, summarize
from carecoord.notify.tables import Notification
from carecoord.review.errors import ItemNotFound
from carecoord.review.models import ReviewItem
from carecoord.review.rules import is_overdue
from carecoord.review.views import ItemDetail, QueueItem, detailed, listed
from tools.errors import FhirError

if TYPE_CHECKING:
    from carecoord.review.tasks import TaskMirror
    from carecoord.review.threads import TranscriptReader

__all__ = ["SLA", "ItemDetail", "QueueItem", "ReviewQueue"]

SLA: dict[str, timedelta] = {
    "emergent": timedelta(minutes=15),
    "urgent": timedelta(hours=4),
    "routine": timedelta(hours=24),
}
"""Time to a decision per level; emergent items only need an acknowledgement."""
LEVEL_ORDER = {"emergent": 0, "urgent": 1, "routine": 2}
FINISH_LEASE = timedelta(seconds=60)
"""How long a session carrying out a decision may go silent before a retry may take over."""


class ReviewQueue:
    """The queue over one SQLAlchemy engine (SQLite or PostgreSQL); the schema is migrated on open."""

    def __init__(
        self,
        engine: Engine,
        tasks: TaskMirror | None = None,
        audit: AuditLog | None = None,
        transcripts: TranscriptReader | None = None,
    ) -> None:
        self.engine = engine
        self.tasks = tasks
        """Mirrors items as FHIR Tasks when set (the chat and review services set it)."""
        self.audit = audit
        self.transcripts = transcripts
        migrate(engine)

    # -- filing (the agent's escalation sink) --------------------------------------------------
    def file(self, request: EscalationRequest) -> EscalationRef:
        """Store the request unless its dedupe key is already filed; return the item either way."""
        now = datetime.now(UTC)
        # An emergency is `notifying` until a notification reached the care team (carecoord.notify).
        status: EscalationStatus = "notifying" if request.kind == "emergency" else "pending"
        item = ReviewItem(
            id=f"esc-{uuid.uuid4().hex[:12]}",
            dedupe_key=request.dedupe_key,
            patient_id=request.patient_id,
            thread_id=request.thread_id,
            kind=request.kind,
            level=request.level,
            status=status,
            summary=request.summary,
            rationale=request.rationale,
            question_hash=hashlib.sha256(request.question.encode()).hexdigest(),
            evidence=[c.model_dump() for c in request.citations],
            grounding=request.grounding.model_dump() if request.grounding else None,
            draft_kind=request.draft_kind,
            draft_resource=request.draft_resource,
            draft_identifier=request.draft_identifier,
            created_at=now,
            due_at=now
            + (timedelta(minutes=request.sla_minutes) if request.sla_minutes else SLA[request.level]),
            version=1,
        )
        record = AuditRecord(
            "agent",
            "escalate",
            (f"Patient/{item.patient_id}", f"thread:{item.thread_id}", f"review:{item.id}"),
            request.model_dump_json(),
            input_hash=item.question_hash,
        )
        with Session(self.engine, expire_on_commit=False) as session:
            if is_sqlite(self.engine):
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            session.add(item)
            try:
                session.flush()  # the item and its audit entry commit together, or neither does
                if self.audit is not None:
                    self.audit.append_in(session.connection(), record)
                session.commit()
            except IntegrityError:
                session.rollback()
                existing = session.scalars(
                    select(ReviewItem).where(ReviewItem.dedupe_key == request.dedupe_key)
                ).one()
                return _ref(existing)
        self.mirror(item, quiet=True)
        return _ref(item)

    def mirror(self, item: ReviewItem, quiet: bool = False) -> str | None:
        """Make sure the EHR has the item's Task; returns its id.

        While filing (`quiet`), an unreachable EHR must not fail the patient's turn: the Task is then
        created when the item is decided.
        """
        if self.tasks is None:
            return item.task_id
        try:
            task_id = str(self.tasks.ensure(item)["id"])
        except FhirError:
            if quiet:
                return None
            raise
        self.set_task(item, task_id)
        return task_id

    def set_task(self, item: ReviewItem, task_id: str) -> None:
        """Remember the id of the item's FHIR Task."""
        if task_id != item.task_id:
            self._set(item.id, task_id=task_id)
            item.task_id = task_id

    # -- reading ---------------------------------------------------------------------------------
    def get(self, item_id: str) -> ReviewItem | None:
        """One item with all its fields, or None."""
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(ReviewItem, item_id)

    def require(self, item_id: str) -> ReviewItem:
        """One item; raises `ItemNotFound`."""
        item = self.get(item_id)
        if item is None:
            raise ItemNotFound(item_id)
        return item

    def list(
        self,
        status: str | None = None,
        level: str | None = None,
        kind: str | None = None,
        patient_id: str | None = None,
    ) -> builtins.list[QueueItem]:
        """Items, most urgent and oldest first."""
        query = select(ReviewItem)
        for column, value in (
            (ReviewItem.status, status),
            (ReviewItem.level, level),
            (ReviewItem.kind, kind),
            (ReviewItem.patient_id, patient_id),
        ):
            if value:
                query = query.where(column == value)
        now = datetime.now(UTC)
        with Session(self.engine) as session:
            rows = session.scalars(query).all()
            sent = by_item(
                session.scalars(select(Notification).where(Notification.item_id.in_([r.id for r in rows])))
            )
            items = [listed(row, now, summarize(row.level, sent.get(row.id, []))) for row in rows]
        return sorted(items, key=lambda i: (LEVEL_ORDER.get(i.level, 3), i.created))

    def overdue(self) -> builtins.list[QueueItem]:
        """Open items past their due time."""
        return [item for item in self.list() if item.overdue]

    def detail(self, item_id: str) -> ItemDetail:
        """Everything about one item, with the thread's transcript when it can be read."""
        item = self.require(item_id)
        lines = self.transcripts.transcript(item.thread_id) if self.transcripts else None
        with Session(self.engine) as session:
            sent = session.scalars(select(Notification).where(Notification.item_id == item.id)).all()
            notification = summarize(item.level, sent)
        return detailed(item, lines or [], notification=notification)

    def unfinished(self) -> builtins.list[ReviewItem]:
        """Decided items whose effects were interrupted (a crash, the EHR down): `repair` finishes them."""
        with Session(self.engine, expire_on_commit=False) as session:
            query = select(ReviewItem).where(
                ReviewItem.completed_at.is_(None),
                (ReviewItem.decided_by.is_not(None)) | (ReviewItem.acknowledged_by.is_not(None)),
            )
            return list(session.scalars(query).all())

    # -- deciding --------------------------------------------------------------------------------
    def claim(
        self,
        item: ReviewItem,
        status: str,
        user: str,
        note: str = "",
        reply: str | None = None,
        final_resource: dict[str, Any] | None = None,
        record: AuditRecord | None = None,
    ) -> bool:
        """Decide a pending item if nobody changed it since it was read; False means someone else won.

        `record` is the decision's audit entry, stored in the same transaction as the decision.
        """
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "status": status,
            "decided_by": user,
            "decided_at": now,
            "finishing_at": now,
            "note": note or None,
            "reply": reply,
            "final_resource": final_resource,
            "version": item.version + 1,
        }
        condition = (
            ReviewItem.id == item.id,
            ReviewItem.status == "pending",
            ReviewItem.version == item.version,
        )
        return self._claim(condition, values, record)

    def claim_acknowledgement(self, item: ReviewItem, user: str, record: AuditRecord | None = None) -> bool:
        """Record who acknowledged an emergency, once; False means someone else already did."""
        now = datetime.now(UTC)
        values = {
            "status": "notified",
            "acknowledged_by": user,
            "acknowledged_at": now,
            "finishing_at": now,
            "version": item.version + 1,
        }
        condition = (
            ReviewItem.id == item.id,
            ReviewItem.acknowledged_by.is_(None),
            ReviewItem.version == item.version,
        )
        return self._claim(condition, values, record)

    def expire(self, now: datetime | None = None) -> builtins.list[ReviewItem]:
        """Mark open non-emergency items past due as expired (each claimed like a decision)."""
        moment = now or datetime.now(UTC)
        with Session(self.engine, expire_on_commit=False) as session:
            candidates = session.scalars(select(ReviewItem).where(ReviewItem.status == "pending")).all()
        expired = []
        for item in candidates:
            if is_overdue(item, moment) and self.claim(item, "expired", "system", note="past due"):
                expired.append(self.require(item.id))
        return expired

    def set_committed(self, item_id: str, reference: str) -> None:
        """Remember the resource an approval wrote (a retry then skips the write)."""
        self._set(item_id, fhir_reference=reference)

    def reopen(self, item_id: str, record: AuditRecord | None = None) -> bool:
        """Undo an approval that could not be carried out (nothing was written): the item is pending again."""
        values: dict[str, Any] = {
            "status": "pending",
            "decided_by": None,
            "decided_at": None,
            "finishing_at": None,
            "note": None,
            "final_resource": None,
        }
        condition = (
            ReviewItem.id == item_id,
            ReviewItem.status == "approved",
            ReviewItem.fhir_reference.is_(None),
            ReviewItem.completed_at.is_(None),
        )
        return self._claim(condition, values, record)

    def set_completed(
        self, item_id: str, patient_message: str | None, record: AuditRecord | None = None
    ) -> None:
        """Every effect of the decision is done (stored with `record`, its audit entry, if any)."""
        values = {"patient_message": patient_message, "completed_at": datetime.now(UTC), "finishing_at": None}
        self._claim((ReviewItem.id == item_id, ReviewItem.completed_at.is_(None)), values, record)

    def release_finish(self, item_id: str) -> None:
        """Give the finish lease back after a failure, so a retry may start at once."""
        self._claim((ReviewItem.id == item_id, ReviewItem.completed_at.is_(None)), {"finishing_at": None})

    def claim_finish(self, item: ReviewItem) -> bool:
        """Take the lease on carrying out a decided item's effects; False while another session holds it.

        The session that decides holds it from the decision on; a retry of an interrupted decision
        takes it once it lapsed, so two sessions never write, close or deliver the same decision at once.
        """
        now = datetime.now(UTC)
        condition = (
            ReviewItem.id == item.id,
            ReviewItem.completed_at.is_(None),
            or_(ReviewItem.finishing_at.is_(None), ReviewItem.finishing_at < now - FINISH_LEASE),
        )
        return self._claim(condition, {"finishing_at": now})

    def _claim(
        self, condition: Sequence[Any], values: dict[str, Any], record: AuditRecord | None = None
    ) -> bool:
        """Update the item where `condition` holds and append `record`, in one transaction."""
        with self.engine.connect() as connection:
            if is_sqlite(self.engine):
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            result = connection.execute(update(ReviewItem).where(*condition).values(**values))
            if getattr(result, "rowcount", 0) != 1:
                connection.rollback()
                return False
            if record is not None and self.audit is not None:
                self.audit.append_in(connection, record)
            connection.commit()
            return True

    def _set(self, item_id: str, **values: Any) -> None:
        with Session(self.engine) as session:
            session.execute(update(ReviewItem).where(ReviewItem.id == item_id).values(**values))
            session.commit()


def _ref(item: ReviewItem) -> EscalationRef:
    return EscalationRef.model_validate(
        {
            "id": item.id,
            "level": item.level,
            "kind": item.kind,
            "status": item.status,
            "summary": item.summary,
        }
    )
