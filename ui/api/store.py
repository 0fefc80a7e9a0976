"""`TranscriptStore`: threads and their events, encrypted at rest, shared by every API worker.

Everything a stream sends lives here (not in process memory), so a stream opened on one worker sees
a turn run by another, and a reconnect resumes from the last row id it saw.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carecoord.chat_tables import ChatMessage, ChatThread
from carecoord.keyring import Sealed, TranscriptCipher, TranscriptKeyError
from carecoord.migrations import migrate
from ui.api.events import EVENT_ADAPTER, ErrorEvent, MessageEvent, StoredEvent, ThreadEvent

TURN_LEASE = timedelta(seconds=15)
"""A turn lock not renewed for this long belongs to a worker that died; the next message may take it."""
LEASE_RENEW_S = 3.0
"""How often a running turn renews its lock (well inside `TURN_LEASE`)."""
INTERRUPTED = ErrorEvent(
    code="turn_interrupted",
    message="The answer to your last message was interrupted. Send a message to continue; "
    "nothing you sent was lost.",
)


@dataclass(frozen=True)
class ThreadInfo:
    """A thread as the routes see it."""

    id: str
    patient_id: str
    created: datetime
    busy: bool


UNREADABLE_CODE = "unreadable_entry"
UNREADABLE_MESSAGE = "unreadable entry: this part of the conversation could not be decrypted"


def _utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class TranscriptStore:
    """Threads, turn locks and sealed events over one SQLAlchemy engine."""

    def __init__(self, engine: Engine, cipher: TranscriptCipher) -> None:
        self.engine = engine
        self.cipher = cipher
        migrate(engine)  # the chat tables are Alembic's, like every table (revision 0004)

    def ping(self) -> None:
        """Raise when the database does not answer (readiness)."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def open_thread(self, patient_id: str) -> ThreadInfo:
        """A new thread bound to `patient_id`."""
        thread = ChatThread(
            id=f"t-{secrets.token_hex(10)}", patient_id=patient_id, created_at=datetime.now(UTC)
        )
        with Session(self.engine, expire_on_commit=False) as session:
            session.add(thread)
            session.commit()
        return ThreadInfo(thread.id, thread.patient_id, _utc(thread.created_at), busy=False)

    def thread(self, thread_id: str) -> ThreadInfo | None:
        """The thread, or None when unknown."""
        with Session(self.engine) as session:
            row = session.get(ChatThread, thread_id)
            if row is None:
                return None
            return ThreadInfo(row.id, row.patient_id, _utc(row.created_at), row.turn_started_at is not None)

    def begin_turn(self, thread: ThreadInfo, message: MessageEvent) -> StoredEvent | None:
        """Take the thread's turn lock and store the patient's message, in one transaction.

        None when a live turn holds the lock (in any worker). Taking over a lapsed lock (its worker
        died, or could not store its ending) also stores `turn_interrupted`, so no message is ever
        left unanswered; and a message that cannot be stored leaves no lock behind.
        """
        now = datetime.now(UTC)
        with Session(self.engine, expire_on_commit=False) as session:
            held = session.scalar(select(ChatThread.turn_started_at).where(ChatThread.id == thread.id))
            if held is not None and _utc(held) >= now - TURN_LEASE:
                return None
            unchanged = (
                ChatThread.turn_started_at.is_(None) if held is None else ChatThread.turn_started_at == held
            )
            result = session.execute(
                update(ChatThread).where(ChatThread.id == thread.id, unchanged).values(turn_started_at=now)
            )
            if getattr(result, "rowcount", 0) != 1:
                session.rollback()
                return None
            if held is not None:
                session.add(self._row(thread, INTERRUPTED, None))
                session.flush()  # the interruption's row id comes before the new message's
            row = self._row(thread, message, None)
            session.add(row)
            session.commit()
        return StoredEvent(id=row.id, created=_utc(row.created_at), event=message)

    def renew_turn(self, thread_id: str) -> None:
        """Renew a running turn's lock, so other workers can tell it from one whose worker died."""
        with Session(self.engine) as session:
            session.execute(
                update(ChatThread)
                .where(ChatThread.id == thread_id, ChatThread.turn_started_at.is_not(None))
                .values(turn_started_at=datetime.now(UTC))
            )
            session.commit()

    def lapsed_turns(self, limit: int = 20) -> list[tuple[ThreadInfo, datetime]]:
        """Threads whose turn lock was not renewed for a lease (their worker died), with the lock's time."""
        cutoff = datetime.now(UTC) - TURN_LEASE
        query = select(ChatThread).where(ChatThread.turn_started_at < cutoff).limit(limit)
        with Session(self.engine) as session:
            return [
                (ThreadInfo(row.id, row.patient_id, _utc(row.created_at), True), row.turn_started_at)
                for row in session.scalars(query).all()
                if row.turn_started_at is not None
            ]

    def take_over_turn(self, thread_id: str, held: datetime) -> bool:
        """Take a lapsed turn lock (compare-and-set on its time): True for the one worker that wins it."""
        with Session(self.engine) as session:
            taken = session.execute(
                update(ChatThread)
                .where(ChatThread.id == thread_id, ChatThread.turn_started_at == held)
                .values(turn_started_at=datetime.now(UTC))
            )
            session.commit()
            return getattr(taken, "rowcount", 0) == 1

    def interrupt_stale_turn(self, thread: ThreadInfo) -> StoredEvent | None:
        """End a turn whose worker died (its lock was not renewed): release it and tell the patient.

        A compare-and-set on the lock's timestamp, so of all the streams watching, one stores the event.
        """
        with Session(self.engine, expire_on_commit=False) as session:
            held = session.scalar(select(ChatThread.turn_started_at).where(ChatThread.id == thread.id))
            if held is None or _utc(held) >= datetime.now(UTC) - TURN_LEASE:
                return None
            released = session.execute(
                update(ChatThread)
                .where(ChatThread.id == thread.id, ChatThread.turn_started_at == held)
                .values(turn_started_at=None)
            )
            if getattr(released, "rowcount", 0) != 1:
                session.rollback()
                return None
            row = self._row(thread, INTERRUPTED, None)
            session.add(row)
            session.commit()
        return StoredEvent(id=row.id, created=_utc(row.created_at), event=INTERRUPTED)

    def end_turn(self, thread_id: str) -> None:
        """Release the turn lock."""
        with Session(self.engine) as session:
            session.execute(update(ChatThread).where(ChatThread.id == thread_id).values(turn_started_at=None))
            session.commit()

    def _row(self, thread: ThreadInfo, event: ThreadEvent, dedupe_key: str | None) -> ChatMessage:
        sealed = self.cipher.seal(event.model_dump_json(), f"{thread.id}:{event.type}")
        return ChatMessage(
            thread_id=thread.id,
            patient_id=thread.patient_id,
            type=event.type,
            key_id=sealed.key_id,
            ciphertext=sealed.blob,
            dedupe_key=dedupe_key,
            created_at=datetime.now(UTC),
        )

    def append(
        self, thread: ThreadInfo, event: ThreadEvent, dedupe_key: str | None = None
    ) -> StoredEvent | None:
        """Seal and store an event; None when `dedupe_key` was stored already (someone else won)."""
        row = self._row(thread, event, dedupe_key)
        with Session(self.engine, expire_on_commit=False) as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                if dedupe_key is None:
                    raise
                return None
        return StoredEvent(id=row.id, created=_utc(row.created_at), event=event)

    def finish_turn(self, thread: ThreadInfo, events: list[ThreadEvent]) -> None:
        """Store a turn's closing events and release its lock in one transaction.

        Atomic so a client that sees the answer can send its next message at once without a 409, and
        the next turn's events can never land between this turn's answer and its escalation.
        """
        with Session(self.engine) as session:
            for event in events:
                session.add(self._row(thread, event, None))
            session.execute(update(ChatThread).where(ChatThread.id == thread.id).values(turn_started_at=None))
            session.commit()

    def events(
        self, thread_id: str, after: int = 0, types: frozenset[str] | None = None
    ) -> list[StoredEvent]:
        """The thread's events with row id above `after`, oldest first, decrypted."""
        query = select(ChatMessage).where(ChatMessage.thread_id == thread_id, ChatMessage.id > after)
        if types is not None:
            query = query.where(ChatMessage.type.in_(sorted(types)))
        with Session(self.engine) as session:
            rows = session.scalars(query.order_by(ChatMessage.id)).all()
            return [self._open(row) for row in rows]

    def last_event_id(self, thread_id: str) -> int:
        """The newest row id of the thread (0 when empty)."""
        with Session(self.engine) as session:
            ids = session.scalars(
                select(ChatMessage.id)
                .where(ChatMessage.thread_id == thread_id)
                .order_by(ChatMessage.id.desc())
            ).first()
            return ids or 0

    def _open(self, row: ChatMessage) -> StoredEvent:
        """The row's event, or a visible "unreadable entry" event when the row does not open.

        A retired key, a row moved to another thread or damaged: the rest of the thread keeps working.
        """
        try:
            plain = self.cipher.open(Sealed(row.key_id, row.ciphertext), f"{row.thread_id}:{row.type}")
            event: ThreadEvent = EVENT_ADAPTER.validate_json(plain)
        except (TranscriptKeyError, ValidationError, UnicodeDecodeError):
            event = ErrorEvent(code=UNREADABLE_CODE, message=UNREADABLE_MESSAGE)
        return StoredEvent(id=row.id, created=_utc(row.created_at), event=event)
