"""Issue 15: PHI is sealed in every store: a marker sent through turns, escalations and decisions is
found in no file of the data dir and nowhere in a PostgreSQL dump of the test's schema."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import urllib.parse
from pathlib import Path

import psycopg
import pytest
from alembic import command
from langgraph.checkpoint.base import BaseCheckpointSaver, empty_checkpoint
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from psycopg.rows import dict_row
from sqlalchemy import Connection, text

from agent.checkpoints import STATE_TYPES, open_checkpointer
from carecoord.db import make_engine
from carecoord.migrations import alembic_config, migrate
from carecoord.review.queue import ReviewQueue
from carecoord.sealing import KeyringMissing
from tests.fixtures.agent import session_keyring
from tests.integration.review.conftest import BACKENDS, POSTGRES, ReviewWorld

pytestmark = pytest.mark.integration

QUESTION_MARKER = "Zorblatt"
ANSWER_MARKER = "Quixvane"
NOTE_MARKER = "Plimsoddle"
MARKERS = (QUESTION_MARKER, ANSWER_MARKER, NOTE_MARKER)


def _forms(marker: str) -> list[bytes]:
    """The marker as text and as PostgreSQL's hex rendering of a bytea."""
    return [marker.encode(), marker.encode().hex().encode()]


def _files_holding(folder: Path, markers: tuple[str, ...]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {m}" for m in markers if any(form in data for form in _forms(m))]
    return found


def _schema(database_url: str) -> str:
    options = urllib.parse.parse_qs(urllib.parse.urlparse(database_url).query)["options"][0]
    return options.removeprefix("-csearch_path=")


def _run_the_thread(world: ReviewWorld, patient: str) -> None:
    question = world.chat.turn(patient, f"I've had a headache for two days since visiting {QUESTION_MARKER}")
    assert question.escalation is not None
    world.service.answer(question.escalation.id, "drkim", f"Take acetaminophen, and {ANSWER_MARKER} is fine.")
    refill = world.chat.turn(patient, "Can I get a refill of my metformin?")
    assert refill.escalation is not None and refill.escalation.kind == "action_approval"
    world.service.approve(refill.escalation.id, "drlee", note=f"ok, checked with {NOTE_MARKER}")
    # Every value really is there, readable through the stores with the key.
    assert QUESTION_MARKER in world.chat.state(question.thread_id).transcript[0].shown()
    assert ANSWER_MARKER in (world.queue.detail(question.escalation.id).reply or "")
    assert NOTE_MARKER in (world.queue.detail(refill.escalation.id).note or "")


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_a_marker_through_turns_and_decisions_is_stored_only_sealed(
    world: ReviewWorld, metformin_patient: str, database_url: str, tmp_path: Path
) -> None:
    _run_the_thread(world, metformin_patient)

    assert _files_holding(tmp_path, MARKERS) == []
    if database_url.startswith("postgresql"):
        dump = subprocess.run(
            ["pg_dump", "--data-only", "--schema", _schema(database_url), POSTGRES],
            check=True,
            capture_output=True,
        ).stdout
        assert b"review_items" in dump and b"checkpoint_blobs" in dump
        assert [m for m in MARKERS if any(form in dump for form in _forms(m))] == []
        with world.queue.engine.connect() as connection:
            inline = connection.execute(
                text("SELECT count(*) FROM checkpoints WHERE checkpoint::text LIKE :m"),
                {"m": f"%{QUESTION_MARKER}%"},
            ).scalar_one()
        assert inline == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_data_files_and_folders_are_owner_only(
    world: ReviewWorld, metformin_patient: str, tmp_path: Path
) -> None:
    _run_the_thread(world, metformin_patient)
    checkpoints = tmp_path / "checkpoints"
    assert stat.S_IMODE(checkpoints.stat().st_mode) == 0o700
    for path in [*checkpoints.iterdir(), tmp_path / "review.sqlite3"]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path.name} is {oct(path.stat().st_mode)}"


def _legacy_item(connection: Connection, item_id: str) -> None:
    connection.execute(
        text(
            "INSERT INTO review_items (id, dedupe_key, patient_id, thread_id, kind, level, status, summary,"
            " rationale, question_hash, evidence, draft_resource, created_at, due_at, version, reply)"
            " VALUES (:id, :id, 'p1', 't1', 'clinical_question', 'routine', 'answered', :summary, 'r', 'h',"
            " :evidence, :draft, '2026-01-01 00:00:00', '2026-01-02 00:00:00', 2, :reply)"
        ),
        {
            "id": item_id,
            "summary": f"Question about {QUESTION_MARKER}",
            "evidence": json.dumps([{"quote": QUESTION_MARKER}]),
            "draft": json.dumps({"resourceType": "MedicationRequest", "note": NOTE_MARKER}),
            "reply": f"Answer: {ANSWER_MARKER}",
        },
    )


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_the_migration_seals_existing_review_items_and_needs_the_key(database_url: str) -> None:
    config = alembic_config()
    legacy = make_engine(database_url)
    with legacy.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
        _legacy_item(connection, "esc-old")
    with pytest.raises(KeyringMissing, match="CARECOORD_TRANSCRIPT_KEYS"):
        migrate(legacy)
    legacy.dispose()

    engine = make_engine(database_url, session_keyring())
    try:
        item = ReviewQueue(engine).require("esc-old")
        assert (
            item.summary == f"Question about {QUESTION_MARKER}" and item.reply == f"Answer: {ANSWER_MARKER}"
        )
        assert item.evidence == [{"quote": QUESTION_MARKER}] and item.draft_resource is not None
        with engine.connect() as connection:
            raw = connection.execute(text("SELECT * FROM review_items")).mappings().one()
        assert not [m for m in MARKERS for value in raw.values() if m in str(value)]
        assert str(raw["summary"]).startswith("sealed:v1:test:")
    finally:
        engine.dispose()


def _plain_checkpoint(saver: BaseCheckpointSaver[str]) -> None:
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"question": QUESTION_MARKER, "history": [ANSWER_MARKER]}
    checkpoint["channel_versions"] = {"question": "1", "history": "1"}
    config = saver.put(
        {"configurable": {"thread_id": "t1", "checkpoint_ns": ""}},
        checkpoint,
        {},
        {"question": "1", "history": "1"},
    )
    saver.put_writes(config, [("question", NOTE_MARKER)], "task-1")


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_checkpoints_written_in_plaintext_are_sealed_when_the_checkpointer_opens(
    database_url: str, tmp_path: Path
) -> None:
    plain = JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)
    postgres = database_url if database_url.startswith("postgresql") else None
    if postgres is None:
        with sqlite3.connect(tmp_path / "checkpoints.sqlite3", check_same_thread=False) as conn:
            saver = SqliteSaver(conn, serde=plain)
            saver.setup()
            _plain_checkpoint(saver)
        conn.close()
        assert _files_holding(tmp_path, MARKERS) != []  # the legacy file really held plaintext
    else:
        with psycopg.connect(postgres, autocommit=True, row_factory=dict_row) as conn:
            saver = PostgresSaver(conn, serde=plain)  # type: ignore[arg-type]
            saver.setup()
            _plain_checkpoint(saver)

    with open_checkpointer(postgres, tmp_path, session_keyring()) as sealed:
        loaded = sealed.get_tuple({"configurable": {"thread_id": "t1", "checkpoint_ns": ""}})
        assert loaded is not None
        assert loaded.checkpoint["channel_values"]["question"] == QUESTION_MARKER
        assert loaded.checkpoint["channel_values"]["history"] == [ANSWER_MARKER]
        assert loaded.pending_writes == [("task-1", "question", NOTE_MARKER)]

    assert _files_holding(tmp_path, MARKERS) == []
    if postgres is not None:
        dump = subprocess.run(
            ["pg_dump", "--data-only", "--schema", _schema(database_url), POSTGRES],
            check=True,
            capture_output=True,
        ).stdout
        assert [m for m in MARKERS if any(form in dump for form in _forms(m))] == []
