"""Approve one refill from two console sessions and from the CLI at once: one FHIR resource.

The issue: "Approve the same item from two console sessions and from the CLI at once → one FHIR
resource". On PostgreSQL (the scale-out store) the agent files a metformin refill; the real console
(`carecoord console`) serves it to two clinicians signed in from two browsers, and a third clinician
runs `carecoord review approve` in a subprocess. All three go behind one barrier. Exactly one wins;
the EHR holds one resource with the draft's identifier, the queue one decision, the patient's thread
one care-team message, the audit chain one approval and still verifies; the two who lost are told who
won, and nothing answers with a server error or a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from agent.checkpoints import open_checkpointer
from agent.service import ChatService
from carecoord.review.tasks import REVIEW_IDENTIFIER_SYSTEM
from carecoord.settings import Settings
from carecoord.wiring import ReviewStores, open_review_stores, transcript_cipher
from tests.fixtures.agent import SeededSandbox
from tests.fixtures.processes import free_port, stop, wait_until_up
from tests.fixtures.sandbox import search_by_identifier
from tests.integration.review.conftest import POSTGRES
from tools.drafts import DRAFT_IDENTIFIER_SYSTEM
from ui.console.cli import settings_env

APPROVE_BUTTON = re.compile(r"^Approve( Shortcut .*)?$")
"""The Approve button; its accessible name carries its keyboard shortcut."""

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
WAIT_MS = 60_000
REFILL = "Can I get a refill of my metformin?"
CLINICIANS = {
    "drlee": ("correct horse", "Dr. Lee"),
    "drkim": ("battery staple", "Dr. Kim"),
    "drshah": ("staple horse", "Dr. Shah"),
}
CONSOLE_USERS = ("drlee", "drkim")
CLI_USER = "drshah"
WON = "Approved by"
LOST = "Already decided by"


@dataclass(frozen=True)
class Contest:
    """A console on a PostgreSQL schema of its own, with one refill waiting for approval."""

    url: str
    settings: Settings
    env: dict[str, str]
    """The `CARECOORD_*` environment of the console, for the CLI to share."""
    stores: ReviewStores
    chat: ChatService
    item_id: str
    thread_id: str
    identifier: str
    """`system|value` of the draft's stable identifier."""
    console_log: Path


@dataclass(frozen=True)
class Attempt:
    """What one contender saw."""

    who: str
    won: bool
    shown: str
    """The console's notice, or the CLI's output."""
    server_errors: list[str]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL schema of the test's own (the search_path option), dropped after."""
    import psycopg

    try:
        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"no PostgreSQL at {POSTGRES}: the scale-out store is part of the suite ({exc})")
    schema = f"cc_fault_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def contest(
    tmp_path: Path,
    postgres_url: str,
    agent_settings: Settings,
    chat_service: ChatService,
    seeded_sandbox: SeededSandbox,
) -> Iterator[Contest]:
    """File a refill through the agent on PostgreSQL, add three clinicians, serve the console."""
    if not CHROMIUM.exists():
        pytest.fail("Debian Chromium is missing: run `make browser` (apt-get install -y chromium)")
    settings = agent_settings.model_copy(update={"database_url": postgres_url})
    with ExitStack() as stack:
        stores = stack.enter_context(open_review_stores(settings))
        checkpointer = stack.enter_context(
            open_checkpointer(postgres_url, settings.data_dir, transcript_cipher(settings))
        )
        chat = ChatService(
            replace(chat_service.services, escalations=stores.queue), checkpointer, audit=stores.audit
        )
        result = chat.turn(_metformin_patient(seeded_sandbox), REFILL)
        refill = result.escalation
        assert refill is not None and refill.kind == "action_approval", result.answer
        assert refill.status == "pending"
        item = stores.queue.require(refill.id)
        assert item.draft_identifier and item.draft_resource
        stores.users.rounds = 4
        for name, (password, shown_as) in CLINICIANS.items():
            stores.users.add(name, password, "clinician", shown_as)

        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CARECOORD_", "ANTHROPIC_"))},
            **settings_env(settings),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
        }
        port = free_port()
        console_log = tmp_path / "console.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "carecoord", "console", "--port", str(port)],
            stdout=console_log.open("wb"),
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
        stack.callback(stop, process)
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/_stcore/health", process, timeout_s=60)
        yield Contest(
            url=url,
            settings=settings,
            env=env,
            stores=stores,
            chat=chat,
            item_id=refill.id,
            thread_id=result.thread_id,
            identifier=f"{DRAFT_IDENTIFIER_SYSTEM}|{item.draft_identifier}",
            console_log=console_log,
        )


def _metformin_patient(sandbox: SeededSandbox) -> str:
    """A cohort patient on metformin that the other browser tests do not use (the last one)."""
    return [
        patient.id
        for patient in sandbox.cohort.patients
        if any(
            r["resourceType"] == "MedicationRequest"
            and r.get("status") == "active"
            and "metformin" in str(r.get("medicationCodeableConcept", "")).lower()
            for r in patient.resources
        )
    ][-1]


def _carecoord(contest: Contest, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m carecoord ...` with the console's environment (same database and EHR)."""
    return subprocess.run(
        [sys.executable, "-m", "carecoord", *args],
        capture_output=True,
        text=True,
        env={**contest.env, "COLUMNS": "200"},
        cwd=cwd,
        timeout=180,
    )


def _in_console(contest: Contest, user: str, barrier: threading.Barrier, go: threading.Event) -> Attempt:
    """Sign in from a browser of its own and open the item; behind the barrier, on `go`, click Approve."""
    from playwright.sync_api import expect, sync_playwright

    password, _ = CLINICIANS[user]
    server_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 1600}).new_page()
            page.set_default_timeout(WAIT_MS)
            page.on(
                "response", lambda r: server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None
            )
            page.goto(f"{contest.url}/item?item={contest.item_id}")
            page.get_by_role("textbox", name="User name").fill(user)
            page.get_by_role("textbox", name="Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Proposed action")).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_text(contest.item_id).first).to_be_visible()
            approve = page.get_by_role("button", name=APPROVE_BUTTON)
            expect(approve).to_be_enabled(timeout=WAIT_MS)
            expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=WAIT_MS)

            barrier.wait(timeout=120)
            assert go.wait(timeout=60), "the CLI never got going"
            approve.click()

            won = page.get_by_test_id("stAlertContentSuccess").filter(has_text=WON)
            lost = page.get_by_test_id("stAlertContentError").filter(has_text=LOST)
            notice = won.or_(lost)
            expect(notice).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=WAIT_MS)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            page.screenshot(path=contest.console_log.with_name(f"console-{user}.png"))
            shown = " ".join(notice.first.inner_text().split())
            return Attempt(user, WON in shown, shown, server_errors)
        except BaseException:
            barrier.abort()
            raise
        finally:
            browser.close()


def _from_cli(contest: Contest, cwd: Path, barrier: threading.Barrier, go: threading.Event) -> Attempt:
    """Behind the barrier, `carecoord review approve <id> --as drshah --json`; `go` once it is connected.

    A fresh interpreter needs a second or more before it reaches the database; the clicks wait for its
    first PostgreSQL session (found by its application name), so that all three claims land together.
    """
    name = f"carecoord-race-{uuid.uuid4().hex[:8]}"
    process: subprocess.Popen[str] | None = None
    try:
        barrier.wait(timeout=120)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "carecoord",
                "review",
                "approve",
                contest.item_id,
                "--as",
                CLI_USER,
                "--json",
                "--password-stdin",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**contest.env, "COLUMNS": "200", "PGAPPNAME": name},
            cwd=cwd,
        )
        assert process.stdin is not None
        process.stdin.write(f"{CLINICIANS[CLI_USER][0]}\n\n")  # the password, then no TOTP code
        process.stdin.flush()
        _wait_for_session(name, process)
    except BaseException:
        if process is not None:
            process.kill()
            process.communicate()
        raise
    finally:
        go.set()
    stdout, stderr = process.communicate(timeout=180)
    shown = " ".join((stdout + stderr).split())
    assert "Traceback" not in stderr, stderr
    assert process.returncode in (0, 1), shown
    return Attempt(CLI_USER, process.returncode == 0, shown, [])


def _wait_for_session(application_name: str, process: subprocess.Popen[str]) -> None:
    """Return once a PostgreSQL session named `application_name` is open (or the process has ended)."""
    import psycopg

    deadline = time.monotonic() + 60
    with psycopg.connect(POSTGRES, autocommit=True) as watcher:
        while process.poll() is None and time.monotonic() < deadline:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (application_name,)
            ).fetchone()
            if row is not None and row[0] > 0:
                return
            time.sleep(0.002)


def test_two_consoles_and_the_cli_approving_at_once_write_one_resource(
    contest: Contest, tmp_path: Path
) -> None:
    fhir_url = contest.settings.fhir_url
    assert search_by_identifier(fhir_url, "MedicationRequest", contest.identifier) == []

    barrier = threading.Barrier(3)
    go = threading.Event()
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(_in_console, contest, user, barrier, go) for user in CONSOLE_USERS]
        futures.append(pool.submit(_from_cli, contest, tmp_path, barrier, go))
        failures = [error for future in futures if (error := future.exception()) is not None]
    # A contender that failed breaks the barrier for the others: report its error, not theirs.
    failures.sort(key=lambda error: isinstance(error, threading.BrokenBarrierError))
    if failures:
        raise failures[0]
    attempts = [future.result() for future in futures]

    winners = [a.who for a in attempts if a.won]
    assert len(winners) == 1, attempts
    [winner] = winners
    _, winner_shown_as = CLINICIANS[winner]

    # The EHR: exactly one resource carries the draft's identifier, and the item's Task points at it.
    written = search_by_identifier(fhir_url, "MedicationRequest", contest.identifier)
    assert len(written) == 1, [resource["id"] for resource in written]
    assert written[0]["status"] == "active"
    reference = f"MedicationRequest/{written[0]['id']}"
    [task] = search_by_identifier(fhir_url, "Task", f"{REVIEW_IDENTIFIER_SYSTEM}|{contest.item_id}")
    assert task["status"] == "completed" and task["focus"]["reference"] == reference

    # The queue: one decision, by the winner, finished.
    item = contest.stores.queue.require(contest.item_id)
    assert (item.status, item.decided_by, item.version) == ("approved", winner, 2)
    assert item.fhir_reference == reference and item.completed_at is not None

    # The winner saw what was written; the two who lost were told who won. No 500, no traceback.
    for attempt in attempts:
        assert not attempt.server_errors, attempt
        if attempt.who == winner:
            assert reference in attempt.shown, attempt
        elif attempt.who == CLI_USER:
            assert f"{contest.item_id} already decided by {winner} (approved" in attempt.shown, attempt
        else:
            assert attempt.shown.startswith(f"{LOST} {winner}; nothing was changed."), attempt
    log = contest.console_log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]

    # The patient's thread: one care-team message. The audit log: one approval, one write, one delivery.
    transcript = contest.chat.state(contest.thread_id).transcript
    care_team = [line.shown() for line in transcript if line.speaker == "care_team"]
    assert care_team == [f"care team: {item.patient_message}"], care_team
    assert care_team[0].startswith(
        f"care team: Your care team ({winner_shown_as}) approved: Refill metformin"
    )
    audit = contest.stores.audit
    subject = f"review:{contest.item_id}"
    for action in ("review.approve", "fhir.commit", "review.deliver"):
        assert [e.actor for e in audit.entries(action=action, subject=subject)] == [winner], action
    assert audit.verify().ok
    verified = _carecoord(contest, tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stderr
