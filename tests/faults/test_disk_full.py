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

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from carecoord.settings import Settings
from carecoord.wiring import open_review_stores
from tests.faults.disk import (
    SPARE_MB,
    WRITE_TIMEOUT_S,
    assert_storage_full,
    audit_entries,
    carecoord,
    closed,
    fill,
    free_bytes,
    history,
    integrity,
    serve_on,
    timed,
)
from tests.faults.disk import small_disk as mount_small_disk
from tests.fixtures.agent import SeededSandbox
from tests.fixtures.api import ApiServer, ask, open_session, read_events
from tests.fixtures.sandbox import search_by_identifier
from tools.drafts import DRAFT_IDENTIFIER_SYSTEM

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MEDICATIONS = "What medications am I taking?"
REFILL = "Can I get a refill of my metformin?"
AFTER = "When is my next appointment?"
CLINICIAN, PASSWORD, SHOWN_AS = "drfull", "correct horse battery", "Dr. Full"


@pytest.fixture
def small_disk(tmp_path: Path, knowledge_data_dir: Path) -> Iterator[Path]:
    """A tmpfs just big enough for a copy of the knowledge index plus `SPARE_MB`, unmounted after."""
    with mount_small_disk(tmp_path / "disk", knowledge_data_dir) as disk:
        yield disk


@pytest.fixture
def full_disk_api(
    small_disk: Path, api_settings: Settings, seeded_sandbox: SeededSandbox, tmp_path: Path
) -> Iterator[ApiServer]:
    """`carecoord serve` with its data dir and SQLite database on the small disk; stopped before unmount."""
    # Second to last metformin patient: the concurrent-approval test takes the last, the API tests
    # count from the first.
    with serve_on(small_disk, api_settings, seeded_sandbox, tmp_path / "server.log", slice(-2, -1)) as api:
        yield api


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
    frames = ask(client, thread, REFILL, after=first[-1].id, until=lambda fs: closed(fs, "escalation"))
    escalation = next(f for f in frames if f.type == "escalation").event
    assert (escalation["kind"], escalation["status"]) == ("action_approval", "pending"), escalation
    item_id = escalation["id"]
    before_history = history(client, thread)
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
    listed = carecoord(api, tmp_path, "review", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    before_queue = json.loads(listed.stdout)
    assert [(i["id"], i["status"], i["patient"], i["thread"]) for i in before_queue] == [
        (item_id, "pending", patient, thread)
    ]
    with open_review_stores(api.settings) as stores:
        draft = stores.queue.require(item_id).draft_identifier
    assert draft
    identifier = f"{DRAFT_IDENTIFIER_SYSTEM}|{draft}"
    assert search_by_identifier(api.settings.fhir_url, "MedicationRequest", identifier) == []
    before_audit = audit_entries(api.settings)
    filed = [e for e in before_audit if (e.actor, e.action) == ("agent", "escalate")]
    assert [e.subjects[-1] for e in filed] == [f"review:{item_id}"], [e.action for e in before_audit]
    stored_files = {p.relative_to(small_disk) for p in small_disk.rglob("*.sqlite3")}
    assert {
        Path("carecoord.sqlite3"),
        Path("checkpoints.sqlite3"),
        Path("chroma/chroma.sqlite3"),
    } <= stored_files

    # -- fill the disk --------------------------------------------------------------------------
    junk = fill(small_disk)
    assert free_bytes(small_disk) == 0, free_bytes(small_disk)
    print(f"filled {small_disk} with {junk.stat().st_size / (1 << 20):.1f} MB of junk")

    # Every write is refused with a clear storage_full: a new session, a message, an approval.
    response, took = timed(client.post, "/v1/sessions")
    assert_storage_full(response, took)
    response, took = timed(client.post, f"/v1/threads/{thread}/messages", json={"text": AFTER})
    assert_storage_full(response, took)
    denied = carecoord(
        api,
        tmp_path,
        "review",
        "approve",
        item_id,
        "--as",
        CLINICIAN,
        "--json",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert denied.returncode == 3, (denied.returncode, denied.stdout, denied.stderr)
    assert denied.stderr.startswith("Error (storage_full): The server's storage is full"), denied.stderr
    assert "Traceback" not in denied.stderr and denied.stdout == ""
    assert search_by_identifier(api.settings.fhir_url, "MedicationRequest", identifier) == [], (
        "nothing reached the EHR"
    )

    # Reads still answer, and show exactly what was stored before: readiness, history, stream, queue, audit.
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready", ready.text
    assert history(client, thread) == before_history
    replay = read_events(client, thread, lambda fs: fs[-1].id >= before_history[-1]["id"], timeout_s=20)
    assert [f.id for f in replay if f.type != "status"] == [e["id"] for e in before_history]
    listed = carecoord(api, tmp_path, "review", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == before_queue
    assert audit_entries(api.settings) == before_audit

    # -- free the disk: the same API process recovers ---------------------------------------------
    junk.unlink()
    assert free_bytes(small_disk) > (SPARE_MB // 2) << 20
    fresh = open_session(client)
    closing = [f for f in ask(client, fresh, AFTER) if f.type in ("answer", "error")]
    assert [f.type for f in closing] == ["answer"], closing[-1].event
    assert closing[0].event["citations"], closing[0].event
    # The refused message left no turn lock behind: the old thread answers at once.
    closing = [
        f for f in ask(client, thread, AFTER, after=before_history[-1]["id"]) if f.type in ("answer", "error")
    ]
    assert [f.type for f in closing] == ["answer"], closing[-1].event

    approved = carecoord(
        api,
        tmp_path,
        "review",
        "approve",
        item_id,
        "--as",
        CLINICIAN,
        "--json",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert approved.returncode == 0, approved.stderr
    outcome = json.loads(approved.stdout)
    [written] = search_by_identifier(api.settings.fhir_url, "MedicationRequest", identifier)
    assert written["status"] == "active"
    assert (outcome["status"], outcome["decided_by"]) == ("approved", CLINICIAN)
    assert outcome["fhir_reference"] == f"MedicationRequest/{written['id']}"
    assert outcome["patient_message"].startswith(f"Your care team ({SHOWN_AS}) approved: Refill metformin")

    # Nothing stored before the fill was lost or changed; what came after follows it.
    after = history(client, thread)
    assert after[: len(before_history)] == before_history
    later = [(e["event"]["type"], e["event"].get("text")) for e in after[len(before_history) :]]
    assert later == [("message", AFTER), ("answer", None), ("decision", outcome["patient_message"])], later
    decision = after[-1]["event"]
    assert (decision["escalation_id"], decision["outcome"], decision["clinician"]) == (
        item_id,
        "approved",
        SHOWN_AS,
    )

    # Every SQLite file on the disk is intact.
    databases = sorted(small_disk.rglob("*.sqlite3"))
    assert {p.relative_to(small_disk) for p in databases} == stored_files
    for database in databases:
        assert integrity(database) == ["ok"], database

    # The audit chain: the entries from before are unchanged, the approval is logged once, the chain holds.
    audit = audit_entries(api.settings)
    assert audit[: len(before_audit)] == before_audit
    decided = [e.action for e in audit[len(before_audit) :] if e.actor == CLINICIAN]
    signed_in = [action for action in decided if action == "login"]  # one per accepted CLI sign-in
    assert decided[0] == "login" and 1 <= len(signed_in) <= 2, decided
    assert [a for a in decided if a != "login"] == [
        "review.approve",
        "fhir.commit",
        "fhir.task",
        "review.deliver",
    ], decided
    verified = carecoord(api, tmp_path, "audit", "verify")
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
