"""What a notification says: the item's level and a link to it in the console, nothing about the patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class OpenAlert:
    """An open emergent or urgent item, as the outbox needs to know it (no summary, no patient)."""

    item_id: str
    level: str
    created_at: datetime


class AlertSource(Protocol):
    """The items that must reach a person (the review queue implements it)."""

    def open_alerts(self) -> list[OpenAlert]:
        """Emergent and urgent items nobody has acknowledged or decided yet."""
        ...

    def still_open(self, item_id: str) -> bool:
        """Whether the item still waits for a person (a closed item's queued notifications are cancelled)."""
        ...

    def delivered(self, item_id: str) -> None:
        """A notification about the item reached the care team (an emergency's status becomes `notified`)."""
        ...


@dataclass(frozen=True)
class Alert:
    """One message on one channel: PHI-free by construction (item id, level, link, reminder round)."""

    notification_id: str
    item_id: str
    level: str
    round: int
    link: str

    @property
    def subject(self) -> str:
        """`[EMERGENT] CareCoord item esc-… needs attention` (a reminder says so)."""
        again = f" (reminder {self.round})" if self.round else ""
        return f"[{self.level.upper()}] CareCoord item {self.item_id} needs attention{again}"

    @property
    def text(self) -> str:
        """The message body: the subject and the item's link in the console."""
        return f"{self.subject}: {self.link}"
