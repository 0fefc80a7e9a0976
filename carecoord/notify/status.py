"""An item's notification status, as `carecoord review list` and the console show it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from carecoord.notify.outbox import utc
from carecoord.notify.tables import Notification

NOTIFIED_LEVELS = ("emergent", "urgent")
"""Levels that notify the on-call care team."""

NotificationState = Literal["not_sent", "queued", "retrying", "sent", "cancelled"]


class NotificationStatus(BaseModel):
    """Where an emergent or urgent item's notifications stand."""

    state: NotificationState
    """`not_sent`: nothing queued (no channel configured?); `retrying`: a receiver is failing now."""
    rounds: int = 0
    """Rounds delivered (the first alert and each reminder)."""
    channels: list[str] = []
    """Channels that delivered at least once."""
    attempts: int = 0
    """Delivery attempts, all channels and rounds."""
    last_sent: datetime | None = None
    last_error: str | None = None
    """The newest failure still waiting for a retry."""

    def shown(self) -> str:
        """One short cell: `sent 05:51 webhook+email ×2`, `retrying (3 tries)`, `not sent`."""
        if self.state == "retrying":
            return f"retrying ({self.attempts} tries)"
        if self.state == "sent" and self.last_sent is not None:
            again = f" ×{self.rounds}" if self.rounds > 1 else ""
            return f"sent {self.last_sent:%H:%M} {'+'.join(self.channels)}{again}"
        return self.state.replace("_", " ")


def summarize(level: str, rows: Iterable[Notification]) -> NotificationStatus | None:
    """The status of one item from its outbox rows (None for levels that do not notify)."""
    if level not in NOTIFIED_LEVELS:
        return None
    rows = list(rows)
    if not rows:
        return NotificationStatus(state="not_sent")
    sent = [row for row in rows if row.status == "sent"]
    waiting = [row for row in rows if row.status == "queued"]
    failing = [row for row in waiting if row.attempts > 0]
    state: NotificationState = (
        "retrying" if failing else "queued" if waiting and not sent else "sent" if sent else "cancelled"
    )
    stamps = [utc(row.sent_at) for row in sent if row.sent_at is not None]
    return NotificationStatus(
        state=state,
        rounds=len({row.round for row in sent}),
        channels=sorted({row.channel for row in sent}),
        attempts=sum(row.attempts for row in rows),
        last_sent=max(stamps) if stamps else None,
        last_error=failing[-1].last_error if failing else None,
    )


def by_item(rows: Iterable[Notification]) -> dict[str, list[Notification]]:
    """Rows grouped by item id."""
    grouped: dict[str, list[Notification]] = defaultdict(list)
    for row in rows:
        grouped[row.item_id].append(row)
    return grouped
