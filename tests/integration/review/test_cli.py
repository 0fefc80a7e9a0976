"""The issue's "done when", through the real `carecoord` command in subprocesses.

A refill asked for in `carecoord chat` appears in `carecoord review list`; approving it writes exactly
one active MedicationRequest and completes the Task, the same thread shows the approval, a second
approval is refused, and `carecoord audit verify` holds until a row is altered.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.checkpoints import open_checkpointer
from agent.service import ChatService
from carecoord.mfa import current_code
from carecoord.review.tasks import REVIEW_IDENTIFIER_SYSTEM
from carecoord.settings import Settings
from carecoord.wiring import transcript_cipher
from tests.fixtures.agent import SeededSandbox
from tools.drafts import DRAFT_IDENTIFIER_SYSTEM

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _env(settings: Settings, database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARECOORD_", "ANTHROPIC_"))}
    env.update(
        CARECOORD_DATA_DIR=str(settings.data_dir),
        CARECOORD_FHIR_URL=settings.fhir_url,
        CARECOORD_VECTOR_CACHE_DIR=str(settings.vectors_cache),
        CARECOORD_DATABASE_URL=f"sqlite:///{database}",
        # Anchors belong to this test's own database, not the data dir the session's other stores share.
        CARECOORD_AUDIT_ANCHOR_PATH=str(database.with_suffix(".anchors.jsonl")),
        CARECOORD_REASONER="offline",
        CARECOORD_TRANSCRIPT_KEYS=json.dumps(
            {k: v.get_secret_value() for k, v in settings.transcript_keys.items()}
        ),
        CARECOORD_TRANSCRIPT_KEY_ID=settings.transcript_key_id,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    return env


def _search(url: str, resource_type: str, identifier: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/{resource_type}", params={"identifier": identifier})
    response.raise_for_status()
    return [entry["resource"] for entry in response.json().get("entry", [])]


def test_refill_from_chat_to_approval_through_the_cli(
    tmp_path: Path,
    agent_settings: Settings,
    seeded_sandbox: SeededSandbox,
    chat_service: ChatService,
    metformin_patient: str,
) -> None:
    database = tmp_path / "review.sqlite3"
    env = _env(agent_settings, database)

    def carecoord(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "carecoord", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=240,
        )

    added = carecoord(
        "users",
        "add",
        "drlee",
        "--role",
        "clinician",
        "--display",
        "Dr. Lee",
        "--password-stdin",
        stdin="correct horse\n",
    )
    assert added.returncode == 0, added.stderr

    chat = carecoord("chat", "--patient", metformin_patient, "Can I get a refill of my metformin?", "--json")
    assert chat.returncode == 0, chat.stderr
    answer = json.loads(chat.stdout)
    escalation = answer["escalation"]
    assert escalation["kind"] == "action_approval" and escalation["status"] == "pending"

    listed = carecoord("review", "list", "--status", "pending", "--json")
    assert listed.returncode == 0, listed.stderr
    [item] = [i for i in json.loads(listed.stdout) if i["id"] == escalation["id"]]
    assert (
        item["kind"] == "action_approval"
        and item["level"] == "routine"
        and item["patient"] == metformin_patient
    )
    assert item["summary"].startswith("Refill metformin") and item["overdue"] is False
    assert item["created"] < item["due"] and item["due"].endswith("Z")

    shown = carecoord("review", "show", escalation["id"], "--json")
    assert shown.returncode == 0, shown.stderr
    identifier = f"{DRAFT_IDENTIFIER_SYSTEM}|{json.loads(shown.stdout)['draft']['identifier']}"
    assert _search(seeded_sandbox.url, "MedicationRequest", identifier) == []

    refused = carecoord(
        "review", "approve", escalation["id"], "--as", "mallory", "--password-stdin", stdin="x\n"
    )
    assert refused.returncode == 1 and "authentication failed for 'mallory'" in refused.stderr
    assert "Traceback" not in refused.stderr
    # Issue 15: a decision in drlee's name needs drlee's password; without it nothing is written.
    for attempt in (
        carecoord(
            "review", "approve", escalation["id"], "--as", "drlee", "--password-stdin", stdin="guess\n"
        ),
        carecoord("review", "approve", escalation["id"], "--as", "drlee", stdin=""),
    ):
        assert attempt.returncode == 1 and "authentication failed for 'drlee'" in attempt.stderr, (
            attempt.stderr
        )
    assert _search(seeded_sandbox.url, "MedicationRequest", identifier) == []

    approved = carecoord(
        "review",
        "approve",
        escalation["id"],
        "--as",
        "drlee",
        "--json",
        "--password-stdin",
        stdin="correct horse\n",
    )
    assert approved.returncode == 0, approved.stderr
    outcome = json.loads(approved.stdout)
    [written] = _search(seeded_sandbox.url, "MedicationRequest", identifier)
    assert written["status"] == "active" and outcome["fhir_reference"] == f"MedicationRequest/{written['id']}"
    [task] = _search(seeded_sandbox.url, "Task", f"{REVIEW_IDENTIFIER_SYSTEM}|{escalation['id']}")
    assert task["status"] == "completed" and task["focus"]["reference"] == outcome["fhir_reference"]

    with open_checkpointer(None, agent_settings.data_dir, transcript_cipher(agent_settings)) as checkpointer:
        transcript = ChatService(chat_service.services, checkpointer).state(answer["thread_id"]).transcript
    assert transcript[-1].shown().startswith("care team: Your care team (Dr. Lee) approved: Refill metformin")
    assert transcript[-1].shown() == f"care team: {outcome['patient_message']}"
    assert transcript[-1].decision is not None and transcript[-1].decision.escalation_id == escalation["id"]

    again = carecoord(
        "review", "approve", escalation["id"], "--as", "drlee", "--password-stdin", stdin="correct horse\n"
    )
    assert again.returncode == 1 and "already decided by drlee" in again.stderr
    assert len(_search(seeded_sandbox.url, "MedicationRequest", identifier)) == 1

    verified = carecoord("audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stderr
    with sqlite3.connect(database) as db:
        db.execute("DROP TRIGGER audit_entries_no_update")
        db.execute("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 2")
    tampered = carecoord("audit", "verify")
    assert tampered.returncode == 1 and "broken at entry 2" in tampered.stderr


def test_cli_decisions_need_the_totp_code_once_enrolled(tmp_path: Path, agent_settings: Settings) -> None:
    database = tmp_path / "review.sqlite3"
    env = _env(agent_settings, database)

    def carecoord(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "carecoord", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=240,
        )

    added = carecoord(
        "users", "add", "drkim", "--role", "clinician", "--password-stdin", stdin="battery staple\n"
    )
    assert added.returncode == 0, added.stderr
    enrolled = carecoord("users", "mfa", "enroll", "drkim")
    assert enrolled.returncode == 0, enrolled.stderr
    uri = enrolled.stdout.strip()
    assert uri.startswith("otpauth://totp/CareCoord:drkim?secret=") and "issuer=CareCoord" in uri
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]

    decide = ("review", "acknowledge", "esc-000000000000", "--as", "drkim", "--password-stdin")
    for stdin in ("battery staple\n", "battery staple\n000000\n"):
        refused = carecoord(*decide, stdin=stdin)
        assert refused.returncode == 1 and "authentication failed for 'drkim'" in refused.stderr
    signed_in = carecoord(*decide, "--totp", current_code(secret), stdin="battery staple\n")
    # Past the sign-in: the (missing) item is what stops it now.
    assert signed_in.returncode == 1 and "authentication failed" not in signed_in.stderr
    assert "esc-000000000000" in signed_in.stderr
    with sqlite3.connect(database) as db:
        actions = [row[0] for row in db.execute("SELECT action FROM audit_entries WHERE actor = 'drkim'")]
    assert actions == ["login_failed", "login_failed", "login"]
