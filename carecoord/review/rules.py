"""Which decisions each kind of item takes, and when an item counts as open or overdue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from carecoord.review.models import ReviewItem

DecisionKind = Literal["approve", "reject", "answer", "acknowledge"]

DECISIONS: dict[str, tuple[DecisionKind, ...]] = {
    "action_approval": ("approve", "reject"),
    "clinical_question": ("answer",),
    "low_confidence": ("answer",),
    "emergency": ("acknowledge",),
}
"""Emergencies never wait for a decision (the patient already has emergency instructions): they are
acknowledged. Drafted actions are approved or rejected; questions are answered."""

OUTCOME_STATUS: dict[DecisionKind, str] = {
    "approve": "approved",
    "reject": "rejected",
    "answer": "answered",
    "acknowledge": "notified",
}
"""The item status a decision leaves (an acknowledged emergency is `notified`: a person has it)."""


EMERGENCY_OPEN = ("notifying", "notified")
"""An emergency's statuses before its acknowledgement: filed (`notifying`), then delivered to the care team."""


def utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_open(item: ReviewItem) -> bool:
    """Whether the item still awaits its decision (or, for an emergency, its acknowledgement)."""
    if item.kind == "emergency":
        return item.status in EMERGENCY_OPEN and item.acknowledged_by is None
    return item.status == "pending"


def allowed_decisions(item: ReviewItem) -> list[DecisionKind]:
    """The decisions a clinician may make on the item now (none once it is decided)."""
    return list(DECISIONS.get(item.kind, ())) if is_open(item) else []


def is_overdue(item: ReviewItem, now: datetime | None = None) -> bool:
    """Open and past the due time its level's SLA set."""
    return is_open(item) and utc(item.due_at) < (now or datetime.now(UTC))
