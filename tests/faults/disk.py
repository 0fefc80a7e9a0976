"""A small tmpfs data dir under a real `carecoord serve`, filled on demand; shared by the disk-full faults.

`small_disk` mounts a tmpfs just big enough for a copy of the knowledge index plus `SPARE_MB`;
`serve_on` starts the API with everything it writes (SQLite database, LangGraph checkpoints, the Chroma
copy) on it. `fill` then takes every free byte with a junk file, and `leave_free` gives a few back.
The rest reads what the stores hold from this process (audit chain, integrity) or through the CLI.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from carecoord.audit import AuditEntry, AuditLog
from carecoord.db import make_engine
from carecoord.settings import Settings
from carecoord.wiring import phi_keyring
from tests.fixtures.agent import SeededSandbox
from tests.fixtures.api import ApiServer, Frame, api_env, start_api
from tests.fixtures.processes import stop

SPARE_MB = 8
"""Room on the small disk beyond the Chroma copy: the stores' files as the conversation grows them."""
WRITE_TIMEOUT_S = 20.0
"""A write on a full disk must be refused within this (no hang on a lock or a retry loop)."""
FULL_MESSAGE = "storage is full"
FULL_CLI_ERROR = "Error (storage_full): The server's storage is full"
"""How the CLI's one line on stderr starts when a write is refused for lack of space."""


# -- the small disk ------------------------------------------------------------------------------
def used_bytes(folder: Path) -> int:
    """What `du` counts for a folder: allocated blocks, not apparent sizes."""
    return sum(path.stat().st_blocks * 512 for path in folder.rglob("*") if path.is_file())


def free_bytes(folder: Path) -> int:
    """Bytes an unprivileged writer may still allocate on the folder's file system."""
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def unmount(mountpoint: Path) -> None:
    """Unmount, lazily when something still holds a file open there; fail loudly if neither works."""
    if not os.path.ismount(mountpoint):
        return
    plain = subprocess.run(["umount", str(mountpoint)], capture_output=True, text=True)
    if plain.returncode != 0:
        lazy = subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, text=True)
        assert lazy.returncode == 0, f"cannot unmount {mountpoint}: {plain.stderr} / {lazy.stderr}"


def fill(folder: Path) -> Path:
    """Write a junk file until the disk refuses (ENOSPC); returns it."""
    junk = folder / "junk.bin"
    block = b"\xa5" * (1 << 20)
    descriptor = os.open(junk, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            try:
                os.write(descriptor, block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
        # The last megabyte may have gone in part: top up to the last byte.
        for size in (4096, 1):
            try:
                while True:
                    os.write(descriptor, block[:size])
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(descriptor)
    return junk


def leave_free(folder: Path, kilobytes: int) -> Path:
    """Fill the disk, then shorten the junk file so exactly `kilobytes` KiB stay free; returns it."""
    junk = fill(folder)
    assert free_bytes(folder) == 0, free_bytes(folder)
    descriptor = os.open(junk, os.O_WRONLY)
    try:
        os.ftruncate(descriptor, junk.stat().st_size - kilobytes * 1024)
    finally:
        os.close(descriptor)
    assert free_bytes(folder) == kilobytes * 1024, (free_bytes(folder), kilobytes)
    return junk


@contextmanager
def small_disk(mountpoint: Path, knowledge_data_dir: Path) -> Iterator[Path]:
    """Mount a tmpfs at `mountpoint` for a copy of the knowledge index plus `SPARE_MB`; unmount after."""
    chroma = knowledge_data_dir / "chroma"
    assert chroma.is_dir(), f"no embedded Chroma index in {knowledge_data_dir}"
    size_mb = used_bytes(chroma) // (1 << 20) + 1 + SPARE_MB
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0 or not os.path.ismount(mountpoint):
        pytest.fail(
            f"cannot mount a {size_mb} MB tmpfs at {mountpoint} (this test needs root and mount(8)): "
            f"exit {mounted.returncode}: {mounted.stderr.strip()}"
        )
    try:
        # The index is read by every turn; its files live on the small disk like everything else.
        shutil.copytree(chroma, mountpoint / "chroma")
        yield mountpoint
    finally:
        unmount(mountpoint)


def metformin_patients(sandbox: SeededSandbox) -> list[str]:
    """Cohort patients with an active metformin prescription (a refill drafts an action), in cohort order."""
    return [
        patient.id
        for patient in sandbox.cohort.patients
        if any(
            r["resourceType"] == "MedicationRequest"
            and r.get("status") == "active"
            and "metformin" in str(r.get("medicationCodeableConcept", "")).lower()
            for r in patient.resources
        )
    ]


@contextmanager
def serve_on(
    disk: Path,
    api_settings: Settings,
    sandbox: SeededSandbox,
    log_path: Path,
    metformin: slice,
) -> Iterator[ApiServer]:
    """`carecoord serve` with its data dir and SQLite database on `disk`; stopped before unmount.

    `metformin` picks the refill patients of this server from `metformin_patients` (fault tests take
    theirs from the end, so they stay clear of the API tests, which count from the first).
    """
    settings = api_settings.model_copy(
        update={"data_dir": disk, "database_url": f"sqlite:///{disk / 'carecoord.sqlite3'}"}
    )
    assert not settings.vectors_cache.is_relative_to(disk), "exemplar vectors stay off the small disk"
    url, process = start_api(settings, log_path)
    try:
        yield ApiServer(
            url=url,
            settings=settings,
            env=api_env(settings),
            log_path=log_path,
            process=process,
            cohort_ids=[patient.id for patient in sandbox.cohort.patients],
            metformin_ids=metformin_patients(sandbox)[metformin],
        )
    finally:
        stop(process)


# -- reading what was stored -------------------------------------------------------------------
def carecoord(api: ApiServer, cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m carecoord ...` against the API's data dir and database (`stdin`: e.g. a password)."""
    return subprocess.run(
        [sys.executable, "-m", "carecoord", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**api.env, "COLUMNS": "200", "ANONYMIZED_TELEMETRY": "False"},
        cwd=cwd,
        timeout=180,
    )


def audit_entries(settings: Settings) -> list[AuditEntry]:
    """Every audit entry, oldest first (read in this process)."""
    engine = make_engine(settings.sqlalchemy_url, phi_keyring(settings))
    try:
        return list(reversed(AuditLog(engine).entries(limit=1_000_000)))
    finally:
        engine.dispose()


def integrity(path: Path) -> list[str]:
    """`PRAGMA integrity_check` of one SQLite file (`["ok"]` when intact)."""
    connection = sqlite3.connect(path, timeout=30)
    try:
        return [str(row[0]) for row in connection.execute("PRAGMA integrity_check").fetchall()]
    finally:
        connection.close()


def truncate_wals(folder: Path) -> None:
    """Checkpoint the stores' SQLite files and empty their write-ahead logs.

    SQLite reuses the room a WAL file already has, so how far a write gets on a nearly full disk
    depends on how much traffic came before. From an empty WAL every write needs new blocks, and a
    given amount of free space stops the same operation at the same step.
    """
    for database in (folder / "carecoord.sqlite3", folder / "checkpoints.sqlite3"):
        connection = sqlite3.connect(database, timeout=30)
        try:
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            connection.close()
        assert busy == 0, f"{database.name}: the checkpoint was blocked by a reader or writer"
        assert Path(f"{database}-wal").stat().st_size == 0, database


def history(client: httpx.Client, thread: str) -> list[dict[str, Any]]:
    """The thread's stored history (messages, answers, escalations, decisions, errors), oldest first."""
    response = client.get(f"/v1/threads/{thread}")
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def assert_storage_full(response: httpx.Response, took_s: float) -> None:
    """A JSON 503 naming the full disk, with Retry-After, answered without hanging."""
    assert took_s < WRITE_TIMEOUT_S, (
        f"{response.request.method} {response.request.url.path} took {took_s:.1f}s"
    )
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "storage_full", error
    assert FULL_MESSAGE in error["message"] and "already saved is safe" in error["message"], error
    assert int(response.headers["retry-after"]) > 0


def timed(call: Callable[..., httpx.Response], *args: Any, **kwargs: Any) -> tuple[httpx.Response, float]:
    """Call and measure how long the answer took."""
    started = time.monotonic()
    response: httpx.Response = call(*args, **kwargs)
    return response, time.monotonic() - started


def closed(frames: list[Frame], kind: str) -> bool:
    """The turn finished and its `kind` event (e.g. the escalation) arrived."""
    return any(f.type == kind for f in frames) and any(f.type in ("answer", "error") for f in frames)
