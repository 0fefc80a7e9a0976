"""The outbox table (its schema is migrated by `carecoord/migrations`, revision 0006)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from carecoord.db import Base


class Notification(Base):
    """One message to deliver on one channel: round 0 is the first alert, each later round a reminder.

    `(item_id, channel, round)` is unique, so any number of dispatchers scheduling the same round create
    one row; a row is sent by whoever holds its claim (`claimed_by` until `claimed_until`).
    """

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("item_id", "channel", "round", name="uq_notifications_round"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(40), index=True)
    level: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    """`queued` until delivered (`sent`), or `cancelled` when the item closed first."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
