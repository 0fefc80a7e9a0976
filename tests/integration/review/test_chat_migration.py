"""Revision 0004 puts the chat tables under Alembic: a fresh database gets them, and a database of the
previous release (review, audit and users migrated to 0003, chat tables made by `create_all`, with
transcripts in them) is adopted with every row still readable — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from carecoord.chat_tables import ChatMessage, ChatThread
from carecoord.db import Base, make_engine
from carecoord.keyring import TranscriptCipher
from carecoord.migrations import alembic_config, current_revisions, head_revisions, migrate
from carecoord.review.queue import ReviewQueue
from carecoord.tables import metadata
from tests.integration.review.conftest import BACKENDS
from ui.api.events import AnswerEvent, DecisionEvent, MessageEvent
from ui.api.store import ThreadInfo, TranscriptStore

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("database_url", BACKENDS, indirect=True)]

CIPHER = TranscriptCipher({"k1": base64.b64decode(base64.b64encode(b"0" * 32))}, "k1")
CHAT_TABLES = {"chat_threads", "chat_messages"}


def _schema_matches_models(engine: Engine) -> None:
    with engine.connect() as connection:
        assert current_revisions(connection) == head_revisions() == {"0011"}
        assert compare_metadata(MigrationContext.configure(connection), metadata()) == []


def _previous_release(engine: Engine) -> TranscriptStore:
    """What the previous release left: migrations up to 0003, chat tables from `create_all`."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    Base.metadata.create_all(engine, tables=[ChatThread.__table__, ChatMessage.__table__])  # type: ignore[list-item]
    store = object.__new__(TranscriptStore)  # the store as it was: no migration on open
    store.engine, store.cipher = engine, CIPHER
    return store


def test_an_empty_database_gets_the_chat_tables_from_the_migrations(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert not CHAT_TABLES & set(inspect(engine).get_table_names())
        store = TranscriptStore(engine, CIPHER)
        assert CHAT_TABLES <= set(inspect(engine).get_table_names())
        _schema_matches_models(engine)
        thread = store.open_thread("p1")
        assert store.append(thread, MessageEvent(text="hello")) is not None
        assert (
            store.append(thread, DecisionEvent(escalation_id="e1", outcome="approved", text="ok"), "k")
            is not None
        )
        assert (
            store.append(thread, DecisionEvent(escalation_id="e1", outcome="approved", text="ok"), "k")
            is None
        )
    finally:
        engine.dispose()


def test_a_database_of_the_previous_release_keeps_its_transcripts(database_url: str) -> None:
    legacy = make_engine(database_url)
    old = _previous_release(legacy)
    thread = old.open_thread("p-old")
    old.append(thread, MessageEvent(text="Can I get a refill of my metformin?"))
    answer = AnswerEvent(
        thread_id=thread.id,
        answer="Your request was sent to your care team.",
        citations=[],
        escalation=None,
        grounding={"sentences": 0, "supported": 0, "removed": 0},
        tools=[],
        reasoner="offline",
        ms=12.0,
    )
    old.append(thread, answer)
    old.append(
        thread, DecisionEvent(escalation_id="esc-1", outcome="approved", text="Approved."), f"{thread.id}:0"
    )
    with legacy.connect() as connection:
        assert current_revisions(connection) == {"0003"}
    legacy.dispose()

    engine = make_engine(database_url)
    try:
        ReviewQueue(engine)  # any store opening the database migrates it
        _schema_matches_models(engine)
        store = TranscriptStore(engine, CIPHER)
        events = [stored.event for stored in store.events(thread.id)]
        assert [event.type for event in events] == ["message", "answer", "decision"]
        assert events[0] == MessageEvent(text="Can I get a refill of my metformin?") and events[1] == answer
        found = store.thread(thread.id)
        assert found is not None and found.patient_id == "p-old"
        again = DecisionEvent(escalation_id="esc-1", outcome="approved", text="Approved.")
        assert (
            store.append(ThreadInfo(thread.id, "p-old", thread.created, False), again, f"{thread.id}:0")
            is None
        )
        later = store.append(found, MessageEvent(text="Thanks"))
        assert later is not None and later.id > max(stored.id for stored in store.events(thread.id)[:3])
        migrate(make_engine(database_url))  # again: nothing to do
    finally:
        engine.dispose()
