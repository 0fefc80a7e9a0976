"""Database engines: SQLite under the data dir by default, PostgreSQL when the URL says so."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase

from carecoord.keyring import TranscriptCipher
from carecoord.sealing import bind_keyring

POOL = {"pool_size": 10, "max_overflow": 20}
"""One engine per process serves the review stores and the API's transcripts (and their streams)."""


class Base(DeclarativeBase):
    """Declarative base for every CareCoord table (the schema itself is owned by `carecoord.migrations`)."""


def make_engine(url: str, keyring: TranscriptCipher | None = None) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so the API, CLI and console can share it.

    `keyring` seals and opens the PHI columns (`carecoord.sealing`); without it they refuse both.
    """
    engine = _engine(url)
    if keyring is not None:
        bind_keyring(engine, keyring)
    return engine


def _engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **POOL)

        @event.listens_for(engine, "connect")
        def _pragmas(connection: object, _record: object) -> None:
            cursor = connection.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


def is_sqlite(engine: Engine) -> bool:
    """Whether writers must serialise with `BEGIN IMMEDIATE` (SQLite) rather than row locks (PostgreSQL)."""
    return engine.dialect.name == "sqlite"
