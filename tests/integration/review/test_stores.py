"""The review stores on a real database, SQLite and PostgreSQL alike: migrations, users, audit, queue."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from agent.escalations import EscalationRequest
from carecoord.audit import AuditLog
from carecoord.db import make_engine
from carecoord.migrations import alembic_config, current_revisions, head_revisions, migrate
from carecoord.review.queue import ReviewQueue
from carecoord.tables import metadata
from carecoord.users import UserError, UserStore
from tests.fixtures.agent import session_keyring
from tests.integration.review.conftest import BACKENDS, FAST_BCRYPT

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("database_url", BACKENDS, indirect=True)]


def _request(
    n: int, kind: str = "action_approval", level: str = "routine", patient: str = "p1"
) -> EscalationRequest:
    return EscalationRequest.model_validate(
        {
            "dedupe_key": f"t-{n}:0:{kind}",
            "patient_id": patient,
            "thread_id": f"t-{n}",
            "kind": kind,
            "level": level,
            "summary": f"item {n}",
            "rationale": "plan: refill",
            "question": "refill please",
        }
    )


def _drop_append_only_triggers(engine: Engine) -> None:
    """What someone with database access would do before tampering."""
    with engine.begin() as connection:
        for trigger in ("audit_entries_no_update", "audit_entries_no_delete"):
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql(f"DROP TRIGGER {trigger}")
            else:
                connection.exec_driver_sql(f"DROP TRIGGER {trigger} ON audit_entries")


# -- migrations ---------------------------------------------------------------------------------------
def test_opening_a_store_migrates_to_head_and_the_models_match_the_migrations(engine: Engine) -> None:
    ReviewQueue(engine)
    with engine.connect() as connection:
        assert current_revisions(connection) == head_revisions() == {"0011"}
        diff = compare_metadata(MigrationContext.configure(connection), metadata())
    assert diff == []
    assert {"review_items", "users", "audit_entries", "audit_head", "chat_threads", "chat_messages"} <= set(
        inspect(engine).get_table_names()
    )


def test_a_database_from_before_migrations_is_adopted_with_its_items(database_url: str) -> None:
    legacy = make_engine(database_url)
    config = alembic_config()
    with legacy.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.exec_driver_sql("DROP TABLE alembic_version")  # as `create_all` left it
        connection.execute(
            text(
                "INSERT INTO review_items (id, dedupe_key, patient_id, thread_id, kind, level, status, summary,"
                " rationale, question_hash, evidence, created_at, due_at, version) VALUES ('esc-old', 'k',"
                " 'p1', 't1', 'clinical_question', 'routine', 'pending', 'old', 'r', 'h', '[]',"
                " '2026-01-01 00:00:00', '2026-01-02 00:00:00', 1)"
            )
        )
    legacy.dispose()
    engine = make_engine(database_url, session_keyring())
    try:
        queue = ReviewQueue(engine)
        assert [item.id for item in queue.list()] == ["esc-old"]
        assert queue.require("esc-old").summary == "old"
        assert queue.detail("esc-old").allowed == ["answer"]
    finally:
        engine.dispose()


def test_migrating_concurrently_from_several_processes_is_safe(database_url: str) -> None:
    engines = [make_engine(database_url, session_keyring()) for _ in range(3)]
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(migrate, engines))
        with engines[0].connect() as connection:
            assert current_revisions(connection) == head_revisions()
    finally:
        for made in engines:
            made.dispose()


# -- users --------------------------------------------------------------------------------------------
def test_users_are_stored_with_bcrypt_and_authenticated(engine: Engine) -> None:
    users = UserStore(engine, rounds=FAST_BCRYPT)
    added = users.add("drlee", "correct horse", "clinician", "Dr. Lee")
    assert added.can_decide and added.shown_as == "Dr. Lee"
    assert users.authenticate("drlee", "correct horse") == added
    assert users.authenticate("drlee", "Correct horse") is None
    assert users.authenticate("nobody", "correct horse") is None
    assert users.get("drlee") == added and users.get("nobody") is None
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$2b$04$") and "correct horse" not in stored
    viewer = users.add("reader", "reader password", "viewer")
    assert not viewer.can_decide
    assert [u.name for u in users.list()] == ["drlee", "reader"]


@pytest.mark.parametrize(
    ("name", "password", "role", "message"),
    [
        ("drlee", "correct horse", "clinician", "already exists"),
        ("drnew", "correct horse", "surgeon", "unknown role"),
        ("drnew", "short", "clinician", "at least 8"),
        ("drnew", "x" * 73, "clinician", "at most 72 bytes"),
        ("dr new", "correct horse", "clinician", "without spaces"),
    ],
)
def test_users_that_cannot_be_added(
    engine: Engine, name: str, password: str, role: str, message: str
) -> None:
    users = UserStore(engine, rounds=FAST_BCRYPT)
    users.add("drlee", "correct horse", "clinician")
    with pytest.raises(UserError, match=message):
        users.add(name, password, role)


# -- audit --------------------------------------------------------------------------------------------
def test_the_audit_chain_verifies_and_names_the_first_altered_entry(engine: Engine) -> None:
    audit = AuditLog(engine)
    for n in range(5):
        audit.append("agent", "answer", [f"Patient/p{n}", "thread:t1"], f"answer {n}", "offline", "abc")
    audit.record_login("drlee", False)
    status = audit.verify()
    assert status.ok and status.checked == 6 and status.first_broken is None

    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 3"))
    assert audit.verify().ok

    _drop_append_only_triggers(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 3"))
    broken = audit.verify()
    assert not broken.ok and broken.first_broken == 3 and broken.checked == 2
    assert "entry 3 was altered" in broken.message


def test_removing_the_newest_entries_breaks_the_chain(engine: Engine) -> None:
    audit = AuditLog(engine)
    for n in range(4):
        audit.append("agent", "answer", ["Patient/p1"], str(n))
    _drop_append_only_triggers(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 4"))
    broken = audit.verify()
    assert not broken.ok and broken.first_broken == 4 and "ends at entry 3" in broken.message


def test_concurrent_appends_keep_one_unbroken_chain(engine: Engine) -> None:
    audit = AuditLog(engine)
    barrier = threading.Barrier(4)

    def write(worker: int) -> list[int]:
        barrier.wait()
        return [audit.append(f"worker{worker}", "test", [f"n:{n}"], str(n)).seq for n in range(15)]

    with ThreadPoolExecutor(4) as pool:
        seqs = [seq for batch in pool.map(write, range(4)) for seq in batch]
    assert sorted(seqs) == list(range(1, 61))
    status = audit.verify()
    assert status.ok and status.checked == 60
    newest = audit.entries(limit=3)
    assert [e.seq for e in newest] == [60, 59, 58] and newest[0].prev_hash == newest[1].hash
    assert len(audit.entries(actor="worker2")) == 15


# -- queue --------------------------------------------------------------------------------------------
def test_filing_is_idempotent_and_listing_filters(engine: Engine) -> None:
    queue = ReviewQueue(engine)
    first = queue.file(_request(1))
    assert queue.file(_request(1)).id == first.id
    queue.file(_request(2, "clinical_question", "urgent", patient="p2"))
    queue.file(_request(3, "emergency", "emergent"))

    listed = queue.list()
    assert [i.level for i in listed] == ["emergent", "urgent", "routine"]
    assert [i.status for i in listed] == [
        "notifying",
        "pending",
        "pending",
    ]  # until a notification is delivered
    assert [i.id for i in queue.list(status="pending", kind="action_approval")] == [first.id]
    assert [i.patient for i in queue.list(patient_id="p2")] == ["p2"]
    assert [i.kind for i in queue.list(level="emergent")] == ["emergency"]
    assert not any(i.overdue for i in listed)
    row = listed[2].model_dump(mode="json")
    assert {"id", "kind", "level", "status", "patient", "created", "due", "summary", "overdue"} <= row.keys()


def test_an_item_is_due_after_the_sla_the_policy_gave_it(engine: Engine) -> None:
    queue = ReviewQueue(engine)
    ruled = queue.get(
        queue.file(_request(1, "clinical_question", "urgent").model_copy(update={"sla_minutes": 60})).id
    )
    default = queue.get(queue.file(_request(2, "clinical_question", "urgent")).id)
    assert ruled is not None and default is not None
    assert ruled.due_at - ruled.created_at == timedelta(minutes=60)
    assert default.due_at - default.created_at == timedelta(hours=4)


def test_of_many_concurrent_claims_exactly_one_wins(engine: Engine) -> None:
    queue = ReviewQueue(engine)
    ref = queue.file(_request(1))
    item = queue.require(ref.id)
    barrier = threading.Barrier(6)

    def claim(n: int) -> bool:
        barrier.wait()
        return queue.claim(item, "approved", f"dr{n}")

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(claim, range(6)))
    assert results.count(True) == 1
    winner = f"dr{results.index(True)}"
    decided = queue.require(ref.id)
    assert decided.decided_by == winner and decided.status == "approved" and decided.version == 2
