"""`Outbox`: the notifications table's operations — schedule rounds, claim rows, record each outcome.

Every write is a conditional statement, so several dispatchers (API workers, the console) share the
table safely: a round is inserted once (a unique key on item, channel and round), a row is sent only by
the dispatcher whose claim is current, and an unfinished claim lapses so a live dispatcher takes over.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from carecoord.db import is_sqlite
from carecoord.migrations import migrate
from carecoord.notify.alert import OpenAlert
from carecoord.notify.tables import Notification


def utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Outbox:
    """The durable outbox over one engine (migrated on open)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        migrate(engine)

    def schedule(
        self, alerts: Sequence[OpenAlert], channels: Sequence[str], repeat: timedelta, now: datetime
    ) -> int:
        """Queue each open item's next round per channel; returns how many rows this call inserted.

        The first round at once, a reminder `repeat` after the last delivered round; never a round while
        the previous one is undelivered (a receiver that comes back gets one message, not a backlog).
        Another dispatcher may insert the same row first: the unique key keeps one.
        """
        if not alerts or not channels:
            return 0
        latest = self._latest_rounds([a.item_id for a in alerts])
        wanted: list[dict[str, object]] = []
        for alert in alerts:
            for channel in channels:
                row = latest.get((alert.item_id, channel))
                if row is None:
                    wanted.append(self._row(alert, channel, 0, now))
                elif row.status == "sent" and row.sent_at and utc(row.sent_at) + repeat <= now:
                    wanted.append(self._row(alert, channel, row.round + 1, now))
        return sum(self._insert_once(values) for values in wanted)

    def claim(
        self, worker: str, lease: timedelta, now: datetime, channels: Sequence[str], limit: int = 20
    ) -> list[Notification]:
        """Rows of `channels` due now that no live dispatcher holds, claimed for `worker` until `now + lease`.

        A process only claims the channels it can send on (another process may be configured with more).
        """
        free = or_(Notification.claimed_until.is_(None), Notification.claimed_until < now)
        query = (
            select(Notification.id)
            .where(
                Notification.status == "queued",
                Notification.channel.in_(list(channels)),
                Notification.next_attempt_at <= now,
                free,
            )
            .order_by(Notification.level, Notification.created_at)
            .limit(limit)
        )
        with Session(self.engine) as session:
            candidates = list(session.scalars(query).all())
        claimed: list[Notification] = []
        for row_id in candidates:
            condition = (Notification.id == row_id, Notification.status == "queued", free)
            if self._update(condition, claimed_by=worker, claimed_until=now + lease):
                row = self.get(row_id)
                if row is not None:
                    claimed.append(row)
        return claimed

    def sent(self, row: Notification, worker: str, attempts: int, now: datetime) -> bool:
        """Record the delivery (only while `worker` still holds the claim)."""
        return self._update(
            self._held(row, worker),
            status="sent",
            sent_at=now,
            attempts=row.attempts + attempts,
            claimed_by=None,
            claimed_until=None,
            last_error=None,
        )

    def failed(self, row: Notification, worker: str, attempts: int, error: str, retry_at: datetime) -> bool:
        """Record failed attempts and when to try again; the row stays queued (nothing is dropped)."""
        return self._update(
            self._held(row, worker),
            attempts=row.attempts + attempts,
            last_error=error[:500],
            next_attempt_at=retry_at,
            claimed_by=None,
            claimed_until=None,
        )

    def cancel(self, row: Notification, worker: str) -> bool:
        """The item closed before this row went out: it will not be sent."""
        return self._update(self._held(row, worker), status="cancelled", claimed_by=None, claimed_until=None)

    def get(self, row_id: str) -> Notification | None:
        """One row."""
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(Notification, row_id)

    def rows(self, item_ids: Sequence[str] | None = None) -> list[Notification]:
        """Rows of these items (all rows when None), oldest first."""
        query = select(Notification).order_by(Notification.created_at, Notification.channel)
        if item_ids is not None:
            query = query.where(Notification.item_id.in_(list(item_ids)))
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(query).all())

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _row(alert: OpenAlert, channel: str, round_: int, now: datetime) -> dict[str, object]:
        return {
            "id": f"ntf-{uuid.uuid4().hex[:16]}",
            "item_id": alert.item_id,
            "level": alert.level,
            "channel": channel,
            "round": round_,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }

    @staticmethod
    def _held(row: Notification, worker: str) -> tuple[object, ...]:
        return (Notification.id == row.id, Notification.status == "queued", Notification.claimed_by == worker)

    def _latest_rounds(self, item_ids: list[str]) -> dict[tuple[str, str], Notification]:
        newest = (
            select(Notification.item_id, Notification.channel, func.max(Notification.round).label("round"))
            .where(Notification.item_id.in_(item_ids))
            .group_by(Notification.item_id, Notification.channel)
            .subquery()
        )
        query = select(Notification).join(
            newest,
            (Notification.item_id == newest.c.item_id)
            & (Notification.channel == newest.c.channel)
            & (Notification.round == newest.c.round),
        )
        with Session(self.engine, expire_on_commit=False) as session:
            return {(row.item_id, row.channel): row for row in session.scalars(query).all()}

    def _insert_once(self, values: dict[str, object]) -> int:
        insert = sqlite_insert if is_sqlite(self.engine) else pg_insert
        statement = insert(Notification).values(**values).on_conflict_do_nothing()
        with self.engine.begin() as connection:
            result = connection.execute(statement)
        return 1 if getattr(result, "rowcount", 0) == 1 else 0

    def _update(self, condition: Sequence[object], **values: object) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(update(Notification).where(*condition).values(**values))  # type: ignore[arg-type]
        return getattr(result, "rowcount", 0) == 1
