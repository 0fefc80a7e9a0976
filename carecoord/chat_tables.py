"""The patient API's tables: chat threads (bound to one patient) and their encrypted events.

Declared beside the other migrated tables, below the API, because Alembic owns every table
(`carecoord.migrations`, revision 0004) and the migrations must not depend on the UI layer.
`ui.api.store` is the only code that reads and writes them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from carecoord.db import Base


class ChatThread(Base):
    """A patient session: the LangGraph thread id, whose patient it is, and whether a turn runs."""

    __tablename__ = "chat_threads"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    turn_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """Set while a turn runs: the cross-process "one turn at a time" lock."""


class ChatMessage(Base):
    """One event of a thread (patient message, answer, escalation, decision, …), text AES-GCM sealed."""

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thread_id: Mapped[str] = mapped_column(ForeignKey("chat_threads.id"), index=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str] = mapped_column(String(64))
    """Which transcript key sealed `ciphertext` (keys rotate; old rows keep their id)."""
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    """Set for events several processes may notice at once (a decision): the first insert wins."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
