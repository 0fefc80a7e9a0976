"""`carecoord up --scale` (what `make scale` runs) starts the scale-out topology from the README.

On this machine's PostgreSQL (a fresh database) and Redis, on free ports: the sandbox, a Chroma
server, two API workers and the console; then a patient turn runs through it and `down` stops it all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from carecoord.services import free_port
from carecoord.settings import DEMO_JWT_SECRET, Settings
from tests.fixtures.agent import VECTOR_CACHE
from tests.fixtures.api import ask, open_session
from tools.sandbox.cohort import build_cohort
from ui.api.auth import TokenService

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]
POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture
def database() -> Iterator[str]:
    """A database name `up --scale` must create itself (dropped afterwards)."""
    name = f"cc_scale_{uuid.uuid4().hex[:10]}"
    yield f"{POSTGRES}/{name}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _carecoord(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carecoord", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=500,
        check=False,
    )


def test_up_scale_starts_every_part_on_servers_and_down_stops_them(tmp_path: Path, database: str) -> None:
    sandbox, api, console, chroma = free_port(), free_port(), free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CARECOORD_", "ANTHROPIC_"))},
        "CARECOORD_DATA_DIR": str(tmp_path / "data"),
        "CARECOORD_SANDBOX_PORT": str(sandbox),
        "CARECOORD_FHIR_URL": f"http://127.0.0.1:{sandbox}/fhir",
        "CARECOORD_DATABASE_URL": database,
        "CARECOORD_VECTOR_CACHE_DIR": str(VECTOR_CACHE),
        "HF_HUB_OFFLINE": "1",
    }
    ports = ["--api-port", str(api), "--console-port", str(console), "--chroma-port", str(chroma)]
    try:
        started = _carecoord(env, "up", "--scale", "--patients", "6", *ports)
        assert started.returncode == 0, started.stdout + started.stderr
        assert "created the database" in started.stdout
        assert f"http://127.0.0.1:{chroma}" in started.stdout

        ready = httpx.get(f"http://127.0.0.1:{api}/readyz", timeout=30).json()
        assert ready["status"] == "ready"
        assert ready["checks"] == {"fhir": "ok", "chroma": "ok", "database": "ok", "redis": "ok"}
        assert httpx.get(f"http://127.0.0.1:{console}/_stcore/health", timeout=30).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{chroma}/api/v2/heartbeat", timeout=30).status_code == 200

        # Two workers under one supervisor, and the stores really are the servers.
        api_pid = int((tmp_path / "data" / "run" / "api.pid").read_text())
        workers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == api_pid]
        assert len([w for w in workers if b"resource_tracker" not in (w / "cmdline").read_bytes()]) == 2
        assert not (tmp_path / "data" / "carecoord.sqlite3").exists()
        assert not (tmp_path / "data" / "checkpoints.sqlite3").exists()

        patient = build_cohort(patients=6, seed=7).patients[0].id
        token = TokenService(DEMO_JWT_SECRET, Settings().jwt_issuer, 600).issue(patient)
        with httpx.Client(
            base_url=f"http://127.0.0.1:{api}", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            thread = open_session(client)
            frames = ask(client, thread, "When is my next appointment?")
        assert [f for f in frames if f.type == "answer"]
        with psycopg.connect(database) as connection:
            stored = connection.execute("SELECT count(*) FROM chat_messages WHERE thread_id = %s", (thread,))
            count = stored.fetchone()
            assert count is not None and count[0] >= len(frames)
            checkpoints = connection.execute(
                "SELECT count(*) FROM checkpoints WHERE thread_id = %s", (thread,)
            )
            assert checkpoints.fetchone()[0] > 0  # type: ignore[index]
    finally:
        stopped = _carecoord(env, "down")
    assert stopped.returncode == 0, stopped.stderr
    still_up = [
        name
        for name, port in (("api", api), ("console", console), ("chroma", chroma), ("sandbox", sandbox))
        if not _refuses(port)
    ]
    assert still_up == [], stopped.stdout


def _parent(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _refuses(port: int, within_s: float = 30.0) -> bool:
    """Whether nothing answers on `port` (waiting for a stopping server to let go of it)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
        except httpx.TransportError:
            return True
        time.sleep(0.5)
    return False
