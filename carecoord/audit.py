"""The append-only audit log: who did what to which record, as a SHA-256 hash chain.

Logged: every FHIR tool call, every answer (its hash, never its text), every escalation, decision,
login and failed login. Appends are serialised so concurrent writers (the chat API, the console, the
CLI) can never fork the chain: `BEGIN IMMEDIATE` on SQLite, `SELECT … FOR UPDATE` on the chain-head
row on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Integer, String, Text, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from carecoord.audit_anchor import Anchor
from carecoord.audit_chain import (
    AuditEntry,
    ChainStatus,
    StoredEntry,
    check_chain,
    encode_subjects,
    entry_hash,
    sha256_hex,
)
from carecoord.audit_keys import AuditKeys
from carecoord.db import Base, is_sqlite
from carecoord.migrations import migrate

__all__ = ["AuditEntry", "AuditLog", "ChainStatus", "sha256_hex"]


@dataclass(frozen=True)
class AuditRecord:
    """An entry to append: who did what to which subjects, and the payload it hashes."""

    actor: str
    action: str
    subjects: tuple[str, ...]
    payload: bytes | str
    reasoner: str = ""
    input_hash: str = ""


class AuditRow(Base):
    """One stored entry (time and subjects as text, exactly as hashed)."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subjects: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))
    reasoner: Mapped[str] = mapped_column(String(100))
    input_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16), server_default="")
    """Fingerprint of the audit key that MACed the entry ("" before the chain was keyed)."""


class AuditHead(Base):
    """The single chain-head row: the last seq and hash. Writers lock it; verify checks the tail with it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditLog:
    """The audit chain over one engine; the schema is migrated on open."""

    def __init__(self, engine: Engine, keys: AuditKeys | None = None) -> None:
        self.engine = engine
        self.keys = keys or AuditKeys()
        """New entries are MACed with the active key; entries under retired keys still verify."""
        self._sqlite = is_sqlite(engine)
        migrate(engine)

    def append(
        self,
        actor: str,
        action: str,
        subjects: Sequence[str],
        payload: bytes | str,
        reasoner: str = "",
        input_hash: str = "",
    ) -> AuditEntry:
        """Add one entry at the head of the chain (serialised against every other writer)."""
        record = AuditRecord(actor, action, tuple(subjects), payload, reasoner, input_hash)
        with self.engine.connect() as connection:
            if self._sqlite:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            entry = self.append_in(connection, record)
            connection.commit()
        return entry

    def append_in(self, connection: Connection, record: AuditRecord) -> AuditEntry:
        """Add an entry inside the caller's transaction, so it commits or rolls back with its change.

        A decision is then never stored without its entry. On SQLite the caller has begun the
        transaction with `BEGIN IMMEDIATE`.
        """
        actor, action, reasoner, input_hash = record.actor, record.action, record.reasoner, record.input_hash
        subjects_text = encode_subjects(record.subjects)
        payload_hash = sha256_hex(record.payload)
        head = connection.execute(
            select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1).with_for_update()
        ).one()
        stored = StoredEntry(
            seq=head.seq + 1,
            time=datetime.now(UTC).isoformat(timespec="microseconds"),
            actor=actor,
            action=action,
            subjects=subjects_text,
            payload_hash=payload_hash,
            reasoner=reasoner,
            input_hash=input_hash,
            prev_hash=head.hash,
            hash="",
            key_id=self.keys.active_id,
        )
        stored.hash = entry_hash(
            stored.seq,
            stored.time,
            actor,
            action,
            subjects_text,
            payload_hash,
            reasoner,
            input_hash,
            head.hash,
            self.keys.active,
        )
        connection.execute(insert(AuditRow).values(**stored.model_dump()))
        connection.execute(
            update(AuditHead).where(AuditHead.id == 1).values(seq=stored.seq, hash=stored.hash)
        )
        return stored.public()

    def record_login(self, user: str, ok: bool) -> AuditEntry:
        """Log a sign-in attempt (the console calls this for every one, failed or not)."""
        action = "login" if ok else "login_failed"
        return self.append(user, action, [f"user:{user}"], f"{action}:{user}")

    def entries(
        self,
        actor: str | None = None,
        action: str | None = None,
        limit: int = 500,
        subject: str | None = None,
    ) -> list[AuditEntry]:
        """The newest entries first, optionally filtered by actor, action and one subject reference."""
        query = select(AuditRow).order_by(AuditRow.seq.desc()).limit(limit)
        if actor:
            query = query.where(AuditRow.actor == actor)
        if action:
            query = query.where(AuditRow.action == action)
        if subject:
            query = query.where(AuditRow.subjects.contains(encode_subjects([subject])[1:-1], autoescape=True))
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [StoredEntry.model_validate(dict(row)).public() for row in rows]

    def head(self) -> tuple[int, str]:
        """The chain head: the last seq and its hash (what an anchor signs)."""
        with self.engine.connect() as connection:
            head = connection.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
        return int(head.seq), str(head.hash)

    def verify(self, anchors: Sequence[Anchor] = ()) -> ChainStatus:
        """Recompute every hash and link; name the first entry that is missing, altered or out of chain.

        Entries are checked against the audit keys they name, and against `anchors` (signed heads kept
        outside the database): an anchored entry must keep its hash and the log must reach the last one.

        Reads one snapshot (a deferred transaction on SQLite's WAL, REPEATABLE READ on PostgreSQL) so
        appends running meanwhile can neither be half-seen nor be mistaken for tampering.
        """
        with self.engine.connect() as connection:
            if self._sqlite:
                connection.exec_driver_sql("BEGIN")
            else:
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            head = connection.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
            rows = connection.execute(
                select(AuditRow).order_by(AuditRow.seq), execution_options={"yield_per": 1000}
            ).mappings()
            stored = (StoredEntry.model_validate(dict(row)) for row in rows)
            status = check_chain(stored, head.seq, head.hash, self.keys, anchors)
            connection.rollback()
            return status
