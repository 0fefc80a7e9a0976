"""Sign-in throttling: after 5 failures in 15 minutes an account (or a client address) is locked 15 minutes.

Failures are rows in the database, so every console and CLI process sees the same counts. A lock is
checked before the password, so a locked account cannot be probed; the caller audits each refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Engine, Integer, String, delete, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from carecoord.db import Base
from carecoord.migrations import migrate

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)


class LoginFailure(Base):
    """One failed sign-in: which account, from which client address, when."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(100), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class Lock:
    """Why sign-in is refused now, and until when."""

    scope: str
    """`account` or `address`."""
    until: datetime


class LoginThrottle:
    """Failure counts per account and per client address over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        migrate(engine)

    def locked(self, account: str, client: str, now: datetime | None = None) -> Lock | None:
        """The lock on `account` or `client` in force at `now`, if any."""
        moment = now or datetime.now(UTC)
        for scope, column, value in (
            ("account", LoginFailure.account, account),
            ("address", LoginFailure.client, client),
        ):
            recent = (
                select(LoginFailure.at)
                .where(column == value, LoginFailure.at > moment - WINDOW - LOCK)
                .order_by(LoginFailure.at)
            )
            with self.engine.connect() as connection:
                times = [_utc(at) for at in connection.execute(recent).scalars()]
            until = _lock_end(times)
            if until is not None and until > moment:
                return Lock(scope=scope, until=until)
        return None

    def failed(self, account: str, client: str, now: datetime | None = None) -> None:
        """Record one failed attempt."""
        with self.engine.begin() as connection:
            connection.execute(
                insert(LoginFailure).values(account=account, client=client, at=now or datetime.now(UTC))
            )

    def succeeded(self, account: str) -> None:
        """A good sign-in clears the account's failures (the address keeps its count)."""
        with self.engine.begin() as connection:
            connection.execute(delete(LoginFailure).where(LoginFailure.account == account))

    def failures(self, account: str) -> int:
        """How many failures the account has on record (for tests and the console)."""
        with self.engine.connect() as connection:
            query = select(func.count()).select_from(LoginFailure).where(LoginFailure.account == account)
            return int(connection.execute(query).scalar_one())


def _lock_end(times: list[datetime]) -> datetime | None:
    """When the latest lock ends: the first moment `MAX_FAILURES` failures fit in `WINDOW`, plus `LOCK`."""
    end = None
    for i in range(MAX_FAILURES - 1, len(times)):
        if times[i] - times[i - MAX_FAILURES + 1] <= WINDOW:
            end = times[i] + LOCK
    return end


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
