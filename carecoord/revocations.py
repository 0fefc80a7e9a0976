"""Revoked credentials: patient-token `jti`s and console session ids, refused from the moment they are stored.

One table in the shared database, so a revocation made by the CLI on one host reaches every API worker and
console process at once (no cache: the check is one primary-key lookup, well under a millisecond). Each
revocation is written together with its audit entry, or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from carecoord.audit import AuditLog, AuditRecord
from carecoord.db import Base, is_sqlite
from carecoord.migrations import migrate

MAX_ID = 64
"""Longest credential id stored (token `jti`s are 16 hex characters, session ids 32)."""


class RevokedToken(Base):
    """One revoked credential id: when, by whom, why."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(200), default="")


@dataclass(frozen=True)
class Revocation:
    """A stored revocation, as listed."""

    jti: str
    revoked_at: datetime
    revoked_by: str
    reason: str


class RevocationList:
    """Revoke credential ids and ask whether one is revoked, over one engine."""

    def __init__(self, engine: Engine, audit: AuditLog | None = None) -> None:
        self.engine = engine
        self.audit = audit
        migrate(engine)

    def revoke(self, jti: str, by: str, reason: str = "", kind: str = "token") -> bool:
        """Store the revocation (and its audit entry); False when `jti` was already revoked."""
        if not jti or len(jti) > MAX_ID:
            raise ValueError(f"not a credential id: {jti!r} (1 to {MAX_ID} characters)")
        row = RevokedToken(jti=jti, revoked_at=datetime.now(UTC), revoked_by=by, reason=reason[:200])
        record = AuditRecord(by, f"{kind}.revoke", (f"{kind}:{jti}",), reason or f"revoked:{jti}")
        with Session(self.engine) as session:
            if is_sqlite(self.engine):
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            session.add(row)
            try:
                session.flush()
                if self.audit is not None:
                    self.audit.append_in(session.connection(), record)
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
        return True

    def is_revoked(self, jti: str) -> bool:
        """Whether `jti` has been revoked (an indexed lookup)."""
        with self.engine.connect() as connection:
            found = connection.execute(select(RevokedToken.jti).where(RevokedToken.jti == jti)).first()
        return found is not None

    def list(self, limit: int = 50) -> list[Revocation]:
        """The newest revocations first."""
        query = select(RevokedToken).order_by(RevokedToken.revoked_at.desc()).limit(limit)
        with Session(self.engine) as session:
            return [
                Revocation(r.jti, _utc(r.revoked_at), r.revoked_by, r.reason) for r in session.scalars(query)
            ]


def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
