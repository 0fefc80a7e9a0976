"""Fill the disk under the data dir: clear errors while it is full, nothing stored lost, then recovery.

The issue: "Fill the disk of the data dir (a small loop-mounted or size-limited directory) → clear
error, nothing already stored corrupted. The audit chain verifies after all of the above."

A real `carecoord serve` (one worker, embedded mode) keeps everything it writes on a small tmpfs: the
SQLite database (transcripts, review queue, users, audit log), the LangGraph checkpoints and a copy
of the Chroma index. A patient asks about their medications and for a metformin refill (an item for
the review queue); then a junk file takes every free byte. Opening a session, sending a message and
approving the refill from the CLI must each fail with a clear `storage_full` (a JSON 503 with
Retry-After, or exit 3 and one line, never a 500 or a traceback), while reads still answer. Once the
junk is deleted, the same API process opens sessions and answers turns again, the approval writes
exactly one resource to the EHR, every SQLite file passes `PRAGMA integrity_check`, the thread still
holds every event stored before the fill, and the audit chain verifies.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from carecoord.app_services import open_review_stores
from carecoord.audit import AuditEntry, AuditLog
from carecoord.db import make_engine
from carecoord.settings import Settings
from tests.fixtures.agent import SeededSandbox
from tests.fixtures.api import ApiServer, Frame, api_env, ask, open_session, read_events, start_api
from tests.fixtures.processes import stop
from tools.drafts import DRAFT_IDENTIFIER_SYSTEM

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MEDICATIONS = "What medications am I taking?"
REFILL = "Can I get a refill of my metformin?"
AFTER = "When is my next appointment?"
CLINICIAN, PASSWORD, SHOWN_AS = "drfull", "correct horse battery", "Dr. Full"
SPARE_MB = 8
"""Room on the small disk beyond the Chroma copy: the stores' files as the conversation grows them."""
WRITE_TIMEOUT_S = 20.0
"""A write on a full disk must be refused within this (no hang on a lock or a retry loop)."""
FULL_MESSAGE = "storage is full"


# -- the small disk ------------------------------------------------------------------------------
def _used_bytes(folder: Path) -> int:
    """What `du` counts for a folder: allocated blocks, not apparent sizes."""
    return sum(path.stat().st_blocks * 512 for path in folder.rglob("*") if path.is_file())


def _free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def _unmount(mountpoint: Path) -> None:
    """Unmount, lazily when something still holds a file open there; fail loudly if neither works."""
    if not os.path.ismount(mountpoint):
        return
    plain = subprocess.run(["umount", str(mountpoint)], capture_output=True, text=True)
    if plain.returncode != 0:
        lazy = subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, text=True)
        assert lazy.returncode == 0, f"cannot unmount {mountpoint}: {plain.stderr} / {lazy.stderr}"


def _fill(folder: Path) -> Path:
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


@pytest.fixture
def small_disk(tmp_path: Path, knowledge_data_dir: Path) -> Iterator[Path]:
    """A tmpfs just big enough for a copy of the knowledge index plus `SPARE_MB`, unmounted after."""
    chroma = knowledge_data_dir / "chroma"
    assert chroma.is_dir(), f"no embedded Chroma index in {knowledge_data_dir}"
    size_mb = _used_bytes(chroma) // (1 << 20) + 1 + SPARE_MB
    mountpoint = tmp_path / "disk"
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
        _unmount(mountpoint)


@pytest.fixture
def full_disk_api(
    small_disk: Path, api_settings: Settings, seeded_sandbox: SeededSandbox, tmp_path: Path
) -> Iterator[ApiServer]:
    """`carecoord serve` with its data dir and SQLite database on the small disk; stopped before unmount."""
    settings = api_settings.model_copy(
        update={"data_dir": small_disk, "database_url": f"sqlite:///{small_disk / 'carecoord.sqlite3'}"}
    )
    assert not settings.vectors_cache.is_relative_to(small_disk), "exemplar vectors stay off the small disk"
    log_path = tmp_path / "server.log"
    url, process = start_api(settings, log_path)
    try:
        metformin = [
            patient.id
            for patient in seeded_sandbox.cohort.patients
            if any(
                r["resourceType"] == "MedicationRequest"
                and r.get("status") == "active"
                and "metformin" in str(r.get("medicationCodeableConcept", "")).lower()
                for r in patient.resources
            )
        ]
        # Second to last: the concurrent-approval test takes the last, the API tests count from the first.
        yield ApiServer(
            url=url,
            settings=settings,
            env=api_env(settings),
            log_path=log_path,
            process=process,
            cohort_ids=[patient.id for patient in seeded_sandbox.cohort.patients],
            metformin_ids=metformin[-2:-1],
        )
    finally:
        stop(process)


# -- helpers -------------------------------------------------------------------------------------
def _carecoord(api: ApiServer, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m carecoord ...` against the API's data dir and database."""
    return subprocess.run(
        [sys.executable, "-m", "carecoord", *args],
        capture_output=True,
        text=True,
        env={**api.env, "COLUMNS": "200", "ANONYMIZED_TELEMETRY": "False"},
        cwd=cwd,
        timeout=180,
    )


def _search(base_url: str, resource_type: str, identifier: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{base_url}/{resource_type}",
        params={"identifier": identifier, "_count": "50"},
        headers={"Accept": "application/fhir+json"},
        timeout=30.0,
    )
    response.raise_for_status()
    return [entry["resource"] for entry in response.json().get("entry", [])]


def _audit(settings: Settings) -> list[AuditEntry]:
    """Every audit entry, oldest first (read in this process)."""
    engine = make_engine(settings.sqlalchemy_url)
    try:
        return list(reversed(AuditLog(engine).entries(limit=1_000_000)))
    finally:
        engine.dispose()


def _integrity(path: Path) -> list[str]:
    connection = sqlite3.connect(path, timeout=30)
    try:
        return [str(row[0]) for row in connection.execute("PRAGMA integrity_check").fetchall()]
    finally:
        connection.close()


def _history(client: httpx.Client, thread: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/threads/{thread}")
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def _assert_storage_full(response: httpx.Response, took_s: float) -> None:
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


def _timed(call: Callable[..., httpx.Response], *args: Any, **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response: httpx.Response = call(*args, **kwargs)
    return response, time.monotonic() - started


# -- the test ------------------------------------------------------------------------------------
def test_a_full_disk_gives_clear_errors_keeps_what_was_stored_and_recovers(
    full_disk_api: ApiServer, small_disk: Path, tmp_path: Path
) -> None:
    api = full_disk_api
    started = time.monotonic()
    with open_review_stores(api.settings) as stores:
        stores.users.rounds = 4
        stores.users.add(CLINICIAN, PASSWORD, "clinician", SHOWN_AS)
    patient = api.patient(on_metformin=True)
    client = api.client(api.token(patient))
    client.timeout = httpx.Timeout(WRITE_TIMEOUT_S + 10.0)

    # -- before: a conversation that stores events and files a refill for review ------------------
    thread = open_session(client)
    first = ask(client, thread, MEDICATIONS)
    assert [f.type for f in first if f.type in ("answer", "error")] == ["answer"], first[-1].event
    assert "metformin" in first[-1].event["answer"].lower()
    frames = ask(client, thread, REFILL, after=first[-1].id, until=lambda fs: _closed(fs, "escalation"))
    escalation = next(f for f in frames if f.type == "escalation").event
    assert (escalation["kind"], escalation["status"]) == ("action_approval", "pending"), escalation
    item_id = escalation["id"]
    before_history = _history(client, thread)
    assert [e["event"]["type"] for e in before_history] == [
        "message",
        "answer",
        "message",
        "answer",
        "escalation",
    ]
    assert [e["event"]["text"] for e in before_history if e["event"]["type"] == "message"] == [
        MEDICATIONS,
        REFILL,
    ]
    listed = _carecoord(api, tmp_path, "review", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    before_queue = json.loads(listed.stdout)
    assert [(i["id"], i["status"], i["patient"], i["thread"]) for i in before_queue] == [
        (item_id, "pending", patient, thread)
    ]
    with open_review_stores(api.settings) as stores:
        draft = stores.queue.require(item_id).draft_identifier
    assert draft
    identifier = f"{DRAFT_IDENTIFIER_SYSTEM}|{draft}"
    assert _search(api.settings.fhir_url, "MedicationRequest", identifier) == []
    before_audit = _audit(api.settings)
    filed = [e for e in before_audit if (e.actor, e.action) == ("agent", "escalate")]
    assert [e.subjects[-1] for e in filed] == [f"review:{item_id}"], [e.action for e in before_audit]
    stored_files = {p.relative_to(small_disk) for p in small_disk.rglob("*.sqlite3")}
    assert {
        Path("carecoord.sqlite3"),
        Path("checkpoints.sqlite3"),
        Path("chroma/chroma.sqlite3"),
    } <= stored_files

    # -- fill the disk --------------------------------------------------------------------------
    junk = _fill(small_disk)
    assert _free_bytes(small_disk) == 0, _free_bytes(small_disk)
    print(f"filled {small_disk} with {junk.stat().st_size / (1 << 20):.1f} MB of junk")

    # Every write is refused with a clear storage_full: a new session, a message, an approval.
    response, took = _timed(client.post, "/v1/sessions")
    _assert_storage_full(response, took)
    response, took = _timed(client.post, f"/v1/threads/{thread}/messages", json={"text": AFTER})
    _assert_storage_full(response, took)
    denied = _carecoord(api, tmp_path, "review", "approve", item_id, "--as", CLINICIAN, "--json")
    assert denied.returncode == 3, (denied.returncode, denied.stdout, denied.stderr)
    assert denied.stderr.startswith("Error (storage_full): The server's storage is full"), denied.stderr
    assert "Traceback" not in denied.stderr and denied.stdout == ""
    assert _search(api.settings.fhir_url, "MedicationRequest", identifier) == [], "nothing reached the EHR"

    # Reads still answer, and show exactly what was stored before: readiness, history, stream, queue, audit.
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready", ready.text
    assert _history(client, thread) == before_history
    replay = read_events(client, thread, lambda fs: fs[-1].id >= before_history[-1]["id"], timeout_s=20)
    assert [f.id for f in replay if f.type != "status"] == [e["id"] for e in before_history]
    listed = _carecoord(api, tmp_path, "review", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == before_queue
    assert _audit(api.settings) == before_audit

    # -- free the disk: the same API process recovers ---------------------------------------------
    junk.unlink()
    assert _free_bytes(small_disk) > (SPARE_MB // 2) << 20
    fresh = open_session(client)
    closing = [f for f in ask(client, fresh, AFTER) if f.type in ("answer", "error")]
    assert [f.type for f in closing] == ["answer"], closing[-1].event
    assert closing[0].event["citations"], closing[0].event
    # The refused message left no turn lock behind: the old thread answers at once.
    closing = [
        f for f in ask(client, thread, AFTER, after=before_history[-1]["id"]) if f.type in ("answer", "error")
    ]
    assert [f.type for f in closing] == ["answer"], closing[-1].event

    approved = _carecoord(api, tmp_path, "review", "approve", item_id, "--as", CLINICIAN, "--json")
    assert approved.returncode == 0, approved.stderr
    outcome = json.loads(approved.stdout)
    [written] = _search(api.settings.fhir_url, "MedicationRequest", identifier)
    assert written["status"] == "active"
    assert (outcome["status"], outcome["decided_by"]) == ("approved", CLINICIAN)
    assert outcome["fhir_reference"] == f"MedicationRequest/{written['id']}"
    assert outcome["patient_message"].startswith(f"Your care team ({SHOWN_AS}) approved: Refill metformin")

    # Nothing stored before the fill was lost or changed; what came after follows it.
    history = _history(client, thread)
    assert history[: len(before_history)] == before_history
    later = [(e["event"]["type"], e["event"].get("text")) for e in history[len(before_history) :]]
    assert later == [("message", AFTER), ("answer", None), ("decision", outcome["patient_message"])], later
    decision = history[-1]["event"]
    assert (decision["escalation_id"], decision["outcome"], decision["clinician"]) == (
        item_id,
        "approved",
        SHOWN_AS,
    )

    # Every SQLite file on the disk is intact.
    databases = sorted(small_disk.rglob("*.sqlite3"))
    assert {p.relative_to(small_disk) for p in databases} == stored_files
    for database in databases:
        assert _integrity(database) == ["ok"], database

    # The audit chain: the entries from before are unchanged, the approval is logged once, the chain holds.
    audit = _audit(api.settings)
    assert audit[: len(before_audit)] == before_audit
    decided = [e.action for e in audit[len(before_audit) :] if e.actor == CLINICIAN]
    assert decided == ["review.approve", "fhir.commit", "fhir.task", "review.deliver"], decided
    verified = _carecoord(api, tmp_path, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"audit chain intact: {len(audit)} entries" in verified.stdout, verified.stdout

    # The two refusals were the only 5xx; nothing logged a traceback.
    log = api.log_text()
    assert "Traceback" not in log, log[-3000:]
    statuses = [int(status) for status in re.findall(r" http [A-Z]+ \S+ (\d+) ms=", log)]
    assert statuses.count(503) == 2 and max(s for s in statuses if s != 503) < 500, statuses
    assert log.count("storage_full (OperationalError) on POST") == 2, log[-3000:]
    client.close()
    print(f"disk-full round trip {time.monotonic() - started:.1f}s")


def _closed(frames: list[Frame], kind: str) -> bool:
    """The turn finished and its `kind` event (e.g. the escalation) arrived."""
    return any(f.type == kind for f in frames) and any(f.type in ("answer", "error") for f in frames)
