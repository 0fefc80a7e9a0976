"""Issue 15: `carecoord tokens revoke JTI` stops a patient token in every API process, on SQLite and PostgreSQL.

The API runs as the FastAPI app over a real database (the session's chat service lent to it); the
revocation comes from the real CLI in another process, so the only thing the two share is the database.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from agent.service import ChatService
from carecoord.audit import AuditLog
from carecoord.audit_keys import AuditKeys
from carecoord.db import make_engine
from carecoord.revocations import RevocationList
from carecoord.settings import DEMO_AUDIT_KEY, Settings
from carecoord.wiring import fhir_gateway, phi_keyring
from tests.fixtures.api import ApiServer, Borrowed, api_env
from tests.integration.review.conftest import POSTGRES
from ui.api.app import create_app
from ui.api.auth import TokenService

pytestmark = pytest.mark.integration

REVOKED = {"code": "token_revoked", "message": "This token has been revoked; sign in again for a new one."}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL schema of its own (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'api.sqlite3'}"
        return
    import psycopg

    schema = f"cc_tokens_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"no PostgreSQL at {POSTGRES}: the suite runs on SQLite and PostgreSQL alike ({exc})")
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _carecoord(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carecoord", *args],
        env=api_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_revoked_token_is_refused_and_the_revocation_is_audited(
    database_url: str, api_settings: Settings, chat_service: ChatService
) -> None:
    settings = api_settings.model_copy(update={"database_url": database_url})
    engine = make_engine(database_url, phi_keyring(settings))
    borrowed = Borrowed(fhir_gateway(settings), engine, chat_service)
    app = create_app(settings, services_for=lambda _settings: nullcontext(borrowed))
    tokens = TokenService.from_settings(settings)
    kept, revoked = tokens.issue("p-revoke"), tokens.issue("p-revoke")
    jti = jwt.decode(revoked, options={"verify_signature": False})["jti"]
    try:
        with TestClient(app) as client:
            assert client.get("/v1/threads/t-none", headers=_bearer(revoked)).status_code == 404  # accepted

            done = _carecoord(settings, "tokens", "revoke", jti, "--reason", "phone lost")
            assert done.returncode == 0, done.stderr
            assert f"Revoked token {jti}." in done.stderr

            refused = client.get("/v1/threads/t-none", headers=_bearer(revoked))
            assert refused.status_code == 401 and refused.json()["error"] == REVOKED
            assert refused.headers["www-authenticate"] == "Bearer"
            stream = client.get("/v1/threads/t-none/events", params={"access_token": revoked})
            assert stream.status_code == 401 and stream.json()["error"] == REVOKED
            assert client.post("/v1/sessions", headers=_bearer(revoked)).status_code == 401
            assert client.get("/v1/threads/t-none", headers=_bearer(kept)).status_code == 404  # only that one

        again = _carecoord(settings, "tokens", "revoke", jti)
        assert again.returncode == 0 and f"Token {jti} was already revoked." in again.stderr
        listed = _carecoord(settings, "tokens", "revoked")
        assert listed.returncode == 0
        [row] = [line.split("\t") for line in listed.stdout.splitlines()]
        assert row[0] == jti and row[2].startswith("cli:") and row[3] == "phone lost"

        [entry] = AuditLog(engine).entries(action="token.revoke")
        assert entry.actor.startswith("cli:") and entry.subjects == [f"token:{jti}"]
        demo_key = AuditKeys(active=DEMO_AUDIT_KEY.encode())  # the CLI ran in demo mode
        assert AuditLog(engine, demo_key).verify().ok
    finally:
        engine.dispose()


def test_the_revocation_check_is_one_indexed_lookup(database_url: str, api_settings: Settings) -> None:
    engine = make_engine(database_url, phi_keyring(api_settings))
    try:
        revocations = RevocationList(engine)
        for n in range(500):
            revocations.revoke(f"old-{n}", "test")
        timings = []
        for n in range(200):
            started = time.perf_counter()
            assert revocations.is_revoked(f"old-{n}") and not revocations.is_revoked(f"live-{n}")
            timings.append((time.perf_counter() - started) / 2)
        median_ms = statistics.median(timings) * 1000
        print(f"revocation lookup on {engine.dialect.name}: median {median_ms:.3f} ms over 400")
        assert median_ms < 10.0
    finally:
        engine.dispose()


def test_revoking_an_id_that_is_not_one_exits_2(api_server: ApiServer) -> None:
    result = _carecoord(api_server.settings, "tokens", "revoke", "x" * 65)
    assert result.returncode == 2 and "not a credential id" in result.stderr
    assert "Traceback" not in result.stderr
