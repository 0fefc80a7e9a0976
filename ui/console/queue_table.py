"""The queue as a table: the order, flags and columns a clinician scans on a busy shift.

Each row reads like a handover line: how urgent, how long it has waited against its SLA, who the patient
is, what they said in their own words, why it is here in plain language, and who has it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment

from carecoord.review.rules import EMERGENCY_OPEN
from carecoord.review.views import QueueItem
from ui.console.labels import LEVEL_ORDER, level_text
from ui.console.timefmt import span
from ui.console.words import first_chars

COLUMNS = ["Level", "Waiting", "Patient", "Patient's words", "Reason", "Status", "Notified", "Assignee", "Id"]
LEVEL_STYLE = {
    "EMERGENT": "background-color: #fde0dc; color: #a50e0e; font-weight: 600",
    "URGENT": "background-color: #fff0d6; color: #8a4b00; font-weight: 600",
}
OVERDUE_MARK = "⚠ "
OVERDUE_STYLE = "color: #a50e0e; font-weight: 600"


@dataclass(frozen=True)
class RowFacts:
    """What a row shows beyond the item itself: read from the record and the thread."""

    patient: str
    """Name and age, e.g. "Maria Garcia, 67"."""
    words: str
    """The patient's message that filed the item."""
    reason: str
    """Why it is here, in plain language."""


def is_open(item: QueueItem) -> bool:
    """Still waiting: a pending decision, or an emergency nobody has acknowledged yet."""
    if item.kind == "emergency":
        return item.status in EMERGENCY_OPEN and item.acknowledged_by is None
    return item.status == "pending"


def shown_status(item: QueueItem) -> str:
    """The status as read on screen; an acknowledged emergency stays `notified` in the data."""
    if item.kind == "emergency" and item.acknowledged_by:
        return "acknowledged"
    return item.status


def notification_text(item: QueueItem) -> str:
    """Whether the on-call team was reached: `sent 05:51 webhook+email ×2`, `retrying (3 tries)`, `—`."""
    return item.notification.shown() if item.notification is not None else "—"


def ordered(items: Sequence[QueueItem]) -> list[QueueItem]:
    """Most urgent level first, then oldest first within a level."""
    return sorted(items, key=lambda i: (LEVEL_ORDER.get(i.level, 9), _utc(i.created)))


class OpenItems(Protocol):
    """What `next_open_item` reads: the queue's listing."""

    def list(self) -> list[QueueItem]:
        """Every item."""
        ...


class HasQueue(Protocol):
    """A review service (its queue lists the items)."""

    @property
    def queue(self) -> OpenItems:
        """The review queue."""
        ...


def next_open_item(service: HasQueue, current: str) -> str | None:
    """The id of the open item after `current` in queue order (wrapping round), None when no other is open."""
    waiting_ids = [item.id for item in ordered([i for i in service.queue.list() if is_open(i)])]
    others = [i for i in waiting_ids if i != current]
    if not others:
        return None
    if current in waiting_ids:
        after = waiting_ids[waiting_ids.index(current) + 1 :]
        return next((i for i in after), others[0])
    return others[0]


def waiting(item: QueueItem, now: datetime) -> str:
    """`25 min of 4 h`: age against the SLA; `⚠ ` in front when an open item is past it."""
    sla = _utc(item.due) - _utc(item.created)
    hours, rest = divmod(int(sla.total_seconds()), 3600)
    sla_text = f"{hours} h" if not rest else span(sla)
    if not is_open(item):
        return f"{span(now - _utc(item.created))} (closed)"
    mark = OVERDUE_MARK if item.overdue else ""
    return f"{mark}{span(now - _utc(item.created))} of {sla_text}"


def _plain(item: QueueItem) -> RowFacts:
    return RowFacts(patient=item.patient, words="", reason=item.summary)


def table(
    items: Sequence[QueueItem], now: datetime | None = None, facts: Callable[[QueueItem], RowFacts] = _plain
) -> pd.DataFrame:
    """One row per item, in queue order."""
    now = now or datetime.now(UTC)
    rows = []
    for item in ordered(items):
        known = facts(item)
        rows.append(
            {
                "Level": level_text(item.level),
                "Waiting": waiting(item, now),
                "Patient": known.patient,
                "Patient's words": first_chars(known.words) if known.words else "",
                "Reason": known.reason,
                "Status": shown_status(item),
                "Notified": notification_text(item),
                "Assignee": item.assignee or "",
                "Id": item.id,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def styled(frame: pd.DataFrame) -> pd.io.formats.style.Styler:
    """The table with emergent and urgent levels shaded and overdue waits in red."""
    return frame.style.map(lambda v: LEVEL_STYLE.get(v, ""), subset=["Level"]).map(
        lambda v: OVERDUE_STYLE if str(v).startswith(OVERDUE_MARK) else "", subset=["Waiting"]
    )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
