"""Review items as the CLI, API and console read them (typed views over the table rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from agent.models import Citation, EscalationKind, EscalationLevel, EscalationStatus, Grounding
from agent.transcript import TranscriptLine
from carecoord.notify.status import NotificationStatus
from carecoord.review.models import ReviewItem
from carecoord.review.rules import DecisionKind, allowed_decisions, is_overdue, utc


class QueueItem(BaseModel):
    """A review item as listed (`carecoord review list --json` prints these)."""

    id: str
    kind: EscalationKind
    level: EscalationLevel
    status: EscalationStatus
    patient: str
    thread: str
    created: datetime
    due: datetime
    summary: str
    overdue: bool
    """Still open past its SLA due time."""
    decided_by: str | None = None
    acknowledged_by: str | None = None
    assignee: str | None = None
    """The clinician who claimed the item, if anyone has."""
    question_hash: str = Field(default="", exclude=True)
    """SHA-256 of the patient's message that filed the item: finds their words in the transcript; not JSON."""
    notification: NotificationStatus | None = None
    """Whether the on-call care team was notified (emergent and urgent items; None for routine)."""


class DraftView(BaseModel):
    """The FHIR resource the agent drafted (raw JSON: this is the EHR boundary)."""

    kind: str
    identifier: str
    """Value under `urn:carecoord:draft`; the committed resource carries the same identifier."""
    resource: dict[str, Any]


class ItemDetail(QueueItem):
    """Everything a clinician needs to decide, and everything the decision has done since."""

    rationale: str
    """The agent's trace for the turn that filed the item."""
    evidence: list[Citation]
    verdict: Grounding | None
    """The verifier's tally for the answer the patient got."""
    draft: DraftView | None
    final_resource: dict[str, Any] | None
    """The resource as approved (with any clinician edits)."""
    decided_at: datetime | None
    note: str | None
    """The clinician's note; for a rejection, the reason the patient was given."""
    reply: str | None
    """The clinician's answer to a question."""
    acknowledged_at: datetime | None
    fhir_reference: str | None
    task_id: str | None
    patient_message: str | None
    completed_at: datetime | None
    """When the EHR write, Task update and patient message were all done (None: still to finish)."""
    version: int
    allowed: list[DecisionKind]
    """The decisions that may be made now."""
    transcript: list[str]
    """The thread's patient-visible lines as text ("patient: …"), when the thread can be read."""
    lines: list[TranscriptLine] = Field(default_factory=list, exclude=True)
    """The same lines, typed (speaker, text, decision), for views; not part of the JSON."""


def listed(
    item: ReviewItem, now: datetime | None = None, notification: NotificationStatus | None = None
) -> QueueItem:
    """The list view of a row."""
    return QueueItem.model_validate({**_common(item, now), "notification": notification})


def detailed(
    item: ReviewItem,
    lines: list[TranscriptLine],
    now: datetime | None = None,
    notification: NotificationStatus | None = None,
) -> ItemDetail:
    """The full view of a row."""
    draft = (
        DraftView(kind=item.draft_kind, identifier=item.draft_identifier, resource=item.draft_resource)
        if item.draft_kind and item.draft_identifier and item.draft_resource
        else None
    )
    return ItemDetail.model_validate(
        {
            **_common(item, now),
            "notification": notification,
            "rationale": item.rationale,
            "evidence": item.evidence or [],
            "verdict": item.grounding,
            "draft": draft,
            "final_resource": item.final_resource,
            "decided_at": _maybe_utc(item.decided_at),
            "note": item.note,
            "reply": item.reply,
            "acknowledged_at": _maybe_utc(item.acknowledged_at),
            "fhir_reference": item.fhir_reference,
            "task_id": item.task_id,
            "patient_message": item.patient_message,
            "completed_at": _maybe_utc(item.completed_at),
            "version": item.version,
            "allowed": allowed_decisions(item),
            "transcript": [line.shown() for line in lines],
            "lines": lines,
        }
    )


def _common(item: ReviewItem, now: datetime | None) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "level": item.level,
        "status": item.status,
        "patient": item.patient_id,
        "thread": item.thread_id,
        "created": utc(item.created_at),
        "due": utc(item.due_at),
        "summary": item.summary,
        "overdue": is_overdue(item, now),
        "decided_by": item.decided_by,
        "acknowledged_by": item.acknowledged_by,
        "assignee": item.assignee,
        "question_hash": item.question_hash,
    }


def _maybe_utc(moment: datetime | None) -> datetime | None:
    return utc(moment) if moment else None
