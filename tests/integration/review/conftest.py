"""Fixtures for the review backend: a fresh database per test on SQLite and on PostgreSQL.

PostgreSQL tests get their own schema (created here, dropped after), so they never touch other tables;
they are skipped where no server answers at `postgresql://postgres@127.0.0.1:5432/test`.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from agent.checkpoints import open_checkpointer
from agent.service import ChatService
from agent.threads import Threads
from carecoord.audit import AuditLog
from carecoord.db import make_engine
from carecoord.review.queue import ReviewQueue
from carecoord.review.service import ReviewService
from carecoord.review.tasks import TaskMirror
from carecoord.settings import Settings
from carecoord.users import UserStore
from carecoord.wiring import transcript_cipher
from tests.fixtures.agent import SeededSandbox, session_keyring
from tools.fhir import FhirGateway

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgresql"]
FAST_BCRYPT = 4


def _postgres_up() -> bool:
    import psycopg

    try:
        with psycopg.connect(POSTGRES, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    """Whether the machine's PostgreSQL answers (checked once)."""
    return _postgres_up()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_available: bool) -> Iterator[str]:
    """A fresh, empty database for one test: a SQLite file, or a PostgreSQL schema of its own."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'review.sqlite3'}"
        return
    if not postgres_available:
        pytest.fail(f"no PostgreSQL at {POSTGRES}: the suite runs on SQLite and PostgreSQL alike")
    import psycopg

    schema = f"cc_review_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's database, disposed after."""
    made = make_engine(database_url, session_keyring())
    yield made
    made.dispose()


@dataclass
class ReviewWorld:
    """A review service over its own database, with a chat service whose threads it can resume."""

    settings: Settings
    queue: ReviewQueue
    audit: AuditLog
    users: UserStore
    chat: ChatService
    service: ReviewService
    sandbox: SeededSandbox

    def fhir(self) -> httpx.Client:
        """A plain HTTP client on the sandbox, for checking what was written."""
        return httpx.Client(base_url=self.sandbox.url + "/", headers={"Accept": "application/fhir+json"})


@pytest.fixture
def world(
    database_url: str,
    tmp_path: Path,
    agent_settings: Settings,
    chat_service: ChatService,
    seeded_sandbox: SeededSandbox,
) -> Iterator[ReviewWorld]:
    """Queue, audit, users and checkpoints in the test's own database; the agent's services are shared."""
    settings = agent_settings.model_copy(update={"database_url": database_url})
    with ExitStack() as stack:
        keyring = transcript_cipher(settings)
        engine = make_engine(database_url, keyring)
        stack.callback(engine.dispose)
        audit = AuditLog(engine)
        gateway = FhirGateway(settings.fhir_url, settings.fhir_timeout_s, settings.fhir_retries)
        checkpoint_dir = tmp_path / "checkpoints"
        checkpoint_url = database_url if database_url.startswith("postgresql") else None
        checkpointer = stack.enter_context(open_checkpointer(checkpoint_url, checkpoint_dir, keyring))
        # The review side reads transcripts and resumes threads through the checkpoints alone,
        # as the console and the review CLI do; the chat service shares the same store.
        threads = Threads(checkpointer)
        queue = ReviewQueue(engine, tasks=TaskMirror(gateway), audit=audit, transcripts=threads)
        users = UserStore(engine, rounds=FAST_BCRYPT)
        chat = ChatService(
            replace(chat_service.services, escalations=queue, gateway=gateway), checkpointer, audit=audit
        )
        service = stack.enter_context(ReviewService(queue, audit, users, gateway, threads))
        users.add("drlee", "correct horse", "clinician", "Dr. Lee")
        users.add("drkim", "battery staple", "clinician", "Dr. Kim")
        users.add("admin", "admin password", "admin")
        users.add("reader", "reader password", "viewer")
        yield ReviewWorld(settings, queue, audit, users, chat, service, seeded_sandbox)


_handed_out: itertools.count[int] = itertools.count()


@pytest.fixture
def metformin_patient(seeded_sandbox: SeededSandbox) -> str:
    """A cohort patient with an active metformin prescription, a different one for each test."""
    candidates = [
        patient.id
        for patient in seeded_sandbox.cohort.patients
        if any(
            r["resourceType"] == "MedicationRequest"
            and r.get("status") == "active"
            and "metformin" in str(r.get("medicationCodeableConcept", "")).lower()
            for r in patient.resources
        )
    ]
    assert len(candidates) >= 6, "the seed-7 cohort has several patients on metformin"
    return candidates[next(_handed_out) % len(candidates)]
