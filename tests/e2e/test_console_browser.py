"""The clinician console in a real browser: sign in → queue → open an item → approve → audit, metrics.

The console runs as `carecoord console` on a free port against its own review database (the
agent's index, sandbox and checkpoints are the session's). Screenshots of each page land in the
test's tmp_path and in tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from agent.checkpoints import open_checkpointer
from agent.service import ChatService
from carecoord.review.queue import ReviewQueue
from carecoord.settings import Settings
from carecoord.wiring import open_review_stores, transcript_cipher
from tests.fixtures.agent import SeededSandbox
from tests.fixtures.processes import free_port, stop, wait_until_up
from tools.parse import human_name
from ui.console.cli import settings_env

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
WAIT_MS = 60_000
USER, PASSWORD, SHOWN_AS = "drpatel", "correct horse battery", "Dr. Patel"
BEACON = "http://127.0.0.1:9/beacon.png"
PHISH = "http://127.0.0.1:9/confirm-refill"
INJECTION = f"![c]({BEACON}) [Click here to confirm this refill in the EHR]({PHISH})"
"""Issue 15: markdown a patient sends must reach the clinician as characters, never as an image or link."""


@dataclass(frozen=True)
class Shift:
    """A console on its own review database, with a refill and an emergency waiting."""

    url: str
    queue: ReviewQueue
    refill_id: str
    emergency_id: str
    shots: Path
    patient_name: str = ""
    """The refill patient's name (a diabetic with an HbA1c history)."""


def metformin_patient(sandbox: SeededSandbox) -> str:
    """The first cohort patient with an active metformin prescription."""
    return next(
        patient.id
        for patient in sandbox.cohort.patients
        if any(
            r["resourceType"] == "MedicationRequest"
            and r.get("status") == "active"
            and "metformin" in str(r.get("medicationCodeableConcept", "")).lower()
            for r in patient.resources
        )
    )


def patient_name(sandbox: SeededSandbox, patient_id: str) -> str:
    """The cohort patient's name as the console shows it."""
    patient = next(p for p in sandbox.cohort.patients if p.id == patient_id)
    return human_name(next(r for r in patient.resources if r["resourceType"] == "Patient"))


@pytest.fixture
def shift(
    tmp_path: Path, agent_settings: Settings, chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> Iterator[Shift]:
    """File two escalations through the agent, add a clinician, and serve the console on a free port."""
    if not CHROMIUM.exists():
        pytest.fail("Debian Chromium is missing: run `make browser` (apt-get install -y chromium)")
    settings = agent_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'review.sqlite3'}"})
    with ExitStack() as stack:
        stores = stack.enter_context(open_review_stores(settings))
        checkpointer = stack.enter_context(
            open_checkpointer(None, settings.data_dir, transcript_cipher(settings))
        )
        chat = ChatService(
            replace(chat_service.services, escalations=stores.queue), checkpointer, audit=stores.audit
        )
        refill_patient = metformin_patient(seeded_sandbox)
        refill = chat.turn(refill_patient, "Can I get a refill of my metformin?").escalation
        other = seeded_sandbox.cohort.patients[1].id
        emergency = chat.turn(
            other, f"I have crushing chest pain and my left arm is numb {INJECTION}"
        ).escalation
        assert refill is not None and refill.kind == "action_approval"
        assert emergency is not None and emergency.kind == "emergency"
        stores.users.rounds = 4
        stores.users.add(USER, PASSWORD, "clinician", SHOWN_AS)

        port = free_port()
        env = {**os.environ, **settings_env(settings)}
        log = (tmp_path / "console.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "carecoord", "console", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        stack.callback(stop, process)
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/_stcore/health", process, timeout_s=60)
        shots = tmp_path / "screenshots"
        shots.mkdir()
        yield Shift(
            url, stores.queue, refill.id, emergency.id, shots, patient_name(seeded_sandbox, refill_patient)
        )
        ARTIFACTS.mkdir(exist_ok=True)
        for shot in sorted(shots.glob("*.png")):
            shutil.copy(shot, ARTIFACTS / shot.name)


@pytest.fixture
def slow_expect() -> Iterator[None]:
    """Playwright's `expect` waits up to a minute here (the first approval opens the agent); reset after."""
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    yield
    expect.set_options(timeout=5_000)


@pytest.mark.usefixtures("slow_expect")
def test_sign_in_open_approve_and_audit(shift: Shift) -> None:
    from playwright.sync_api import expect, sync_playwright

    started = time.monotonic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1800})
        page.set_default_timeout(WAIT_MS)

        page.goto(shift.url)
        expect(page.get_by_role("heading", name="CareCoord clinician console")).to_be_visible()
        page.get_by_role("textbox", name="User name").fill(USER)
        page.get_by_role("textbox", name="Password").fill("wrong password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("Wrong user name or password.")).to_be_visible()
        page.screenshot(path=shift.shots / "console-1-login-refused.png")

        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
        grid = page.get_by_test_id("stDataFrame")
        expect(grid).to_be_visible()
        expect(page.get_by_text(f"Signed in as {SHOWN_AS}")).to_be_visible()
        page.wait_for_timeout(500)  # let the grid paint its canvas
        page.screenshot(path=shift.shots / "console-2-queue.png")

        # The emergency sorts first; the refill is the second row. Tick its row marker to open it.
        box = grid.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 + 17)
        expect(page.get_by_role("heading", name="Proposed action")).to_be_visible()
        assert f"item={shift.refill_id}" in page.url
        action = page.get_by_test_id("stText").filter(has_text="Refill metformin").first
        expect(action).to_be_visible()
        # The patient's words are shown at the top, and again in the conversation at the foot of the page.
        wrote = page.locator(".st-key-triggering_message")
        expect(wrote.get_by_text("Can I get a refill of my metformin?")).to_be_visible()
        patient_bubble = page.get_by_role("group", name="Chat message from Patient")
        expect(patient_bubble.get_by_text("Can I get a refill of my metformin?")).to_have_count(1)
        expect(page.get_by_text("Active medications")).to_be_visible()
        page.screenshot(path=shift.shots / "console-3-item.png")

        note = page.get_by_role("textbox", name="Note to the chart (optional)")
        note.fill("Renal function checked")
        note.blur()
        expect(page.get_by_text("Shift+A").first).to_be_visible()
        page.keyboard.press("Shift+A")  # the approve shortcut (the button says so)
        outcome = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Approved by")
        expect(outcome).to_contain_text(f"Approved by {USER}")
        expect(outcome).to_contain_text("The patient sees:")
        expect(outcome).to_contain_text("MedicationRequest/")
        expect(page.get_by_text(f"{SHOWN_AS}) approved").first).to_be_visible()
        page.screenshot(path=shift.shots / "console-4-approved.png")

        page.get_by_role("link", name="Audit").click()
        expect(page.get_by_text("Hash chain intact")).to_be_visible()
        page.wait_for_timeout(500)
        page.screenshot(path=shift.shots / "console-5-audit.png")

        page.get_by_role("link", name="Metrics").click()
        expect(page.get_by_text("Median time to decision")).to_be_visible()
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(3)  # removals: none, so a caption
        expect(page.get_by_test_id("stStatusWidget")).to_be_hidden()
        page.wait_for_timeout(1000)  # the charts' canvases paint after their elements mount
        page.screenshot(path=shift.shots / "console-6-metrics.png")
        browser.close()

    item = shift.queue.get(shift.refill_id)
    assert item is not None
    assert (item.status, item.decided_by, item.note) == ("approved", USER, "Renal function checked")
    assert item.fhir_reference and item.fhir_reference.startswith("MedicationRequest/")
    emergency = shift.queue.get(shift.emergency_id)
    assert emergency is not None and emergency.status == "notifying"  # no channel set: nobody reached
    assert time.monotonic() - started < 60


def _sign_in(page: object, url: str) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(url)
    page.get_by_role("textbox", name="User name").fill(USER)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()


SHOWS_PROPOSAL = """() => ["The patient wrote", "Proposed action"].every(name =>
    [...document.querySelectorAll("h1, h2, h3")].some(h => h.textContent.includes(name) && h.offsetParent !== null))"""
"""True once the item page's first two headings are drawn and visible."""


def _open_second_row(page: object, settle_ms: int = 500) -> None:
    """Tick the queue's second row (the emergency sorts first, the refill second) to open it."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    box = page.get_by_test_id("stDataFrame").bounding_box()
    assert box is not None
    page.wait_for_timeout(settle_ms)  # let the grid paint its canvas
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 + 17)


def _top(page: object, name: str) -> float:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    box = page.get_by_role("heading", name=name, exact=True).bounding_box()
    assert box is not None, name
    return float(box["y"])


@pytest.mark.usefixtures("slow_expect")
def test_queue_rows_item_page_board_and_claim(shift: Shift) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        warm = browser.new_page(viewport={"width": 1280, "height": 900})  # another session warms the server
        warm.set_default_timeout(WAIT_MS)
        _sign_in(warm, shift.url)
        _open_second_row(warm)
        expect(warm.get_by_role("heading", name="Patient board")).to_be_visible()
        warm.close()

        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        _sign_in(page, shift.url)
        grid = page.get_by_test_id("stDataFrame")
        expect(grid).to_be_visible()
        page.wait_for_timeout(500)
        page.screenshot(path=shift.shots / "board-1-queue-1280.png")
        # The grid's cells are mirrored in an accessible table: the patient's own words are in the row.
        expect(
            grid.get_by_role("gridcell", name="Can I get a refill of my metformin?", include_hidden=True)
        ).to_have_count(1)
        expect(
            grid.get_by_role(
                "gridcell", name="Asked for a refill of metformin", exact=False, include_hidden=True
            )
        ).to_have_count(1)
        expect(
            grid.get_by_role("gridcell", name="I have crushing chest pain", exact=False, include_hidden=True)
        ).to_have_count(1)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, ...[...document.querySelectorAll("
            "'[data-testid=stDataFrame] .dvn-scroller')].flatMap(e => [e.scrollWidth, e.clientWidth])]"
        )
        assert widths[0] <= 1280 and widths[1] <= widths[2] + 1, (
            f"the queue scrolls sideways at 1280 px: {widths}"
        )

        # First item view after sign-in: the page with its board drawn, timed from the row click.
        # Checked on every animation frame: `expect` polls at 0.1/0.25/0.5/1 s steps and would add its
        # own wait to the time measured.
        started = time.monotonic()
        _open_second_row(page, settle_ms=0)  # painted above, before the screenshot
        page.wait_for_function(SHOWS_PROPOSAL, polling="raf", timeout=WAIT_MS)
        first_view_s = time.monotonic() - started
        expect(page.get_by_role("heading", name="The patient wrote")).to_be_visible()
        expect(page.get_by_role("heading", name="Proposed action")).to_be_visible()
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
        charts_s = time.monotonic() - started
        print(
            f"first item view after sign-in (warm server): {first_view_s * 1000:.0f} ms, charts {charts_s * 1000:.0f} ms"
        )
        assert f"item={shift.refill_id}" in page.url
        message = page.locator(".st-key-triggering_message")
        expect(message).to_contain_text("Can I get a refill of my metformin?")
        expect(message).to_contain_text("Asked for a refill of metformin")
        tops = [_top(page, h) for h in ("The patient wrote", "Proposed action", "Evidence", "Patient board")]
        tops.append(_top(page, "Conversation"))
        assert tops == sorted(tops), "item page order: message, proposal, evidence, board, transcript"
        expect(page.get_by_text("A1c (3-month average blood sugar)").first).to_be_visible()
        expect(page.get_by_text("Active medications")).to_be_visible()
        expect(page.get_by_role("link", name="metformin", exact=False).first).to_have_attribute(
            "href", re.compile(r"/MedicationRequest/")
        )
        expect(page.get_by_text("Why the agent escalated")).to_be_visible()
        page.wait_for_timeout(1000)
        page.screenshot(path=shift.shots / "board-2-item.png", full_page=True)

        page.get_by_role("button", name="Claim").click()
        expect(page.get_by_text("Claimed by you")).to_be_visible()

        page.get_by_role("link", name="Back to the queue").click()
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
        page.get_by_test_id("stButtonGroup").get_by_text("Mine", exact=True).click()
        expect(
            grid.get_by_role("gridcell", name="Can I get a refill of my metformin?", include_hidden=True)
        ).to_have_count(1)
        expect(
            grid.get_by_role("gridcell", name="I have crushing chest pain", exact=False, include_hidden=True)
        ).to_have_count(0)
        expect(grid.get_by_role("gridcell", name="drpatel", include_hidden=True)).to_have_count(1)
        page.screenshot(path=shift.shots / "board-3-queue-mine.png")
        page.get_by_test_id("stButtonGroup").get_by_text("Unassigned", exact=True).click()
        expect(
            grid.get_by_role("gridcell", name="I have crushing chest pain", exact=False, include_hidden=True)
        ).to_have_count(1)
        expect(
            grid.get_by_role("gridcell", name="Can I get a refill of my metformin?", include_hidden=True)
        ).to_have_count(0)

        # The board on its own page, reached from a patient search.
        page.get_by_role("link", name="Patient board").click()
        expect(page.get_by_role("heading", name="Patient board")).to_be_visible()
        name = shift.patient_name.split()[-1]
        page.get_by_role("textbox", name="Find a patient by name").fill(name)
        page.get_by_role("textbox", name="Find a patient by name").press("Enter")
        page.get_by_role("link", name=shift.patient_name, exact=False).first.click()
        expect(page.get_by_text("A1c (3-month average blood sugar)").first).to_be_visible()
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
        page.wait_for_timeout(1000)
        page.screenshot(path=shift.shots / "board-4-patient-board.png", full_page=True)
        browser.close()

    item = shift.queue.get(shift.refill_id)
    assert item is not None and item.assignee == USER and item.status == "pending"
    assert first_view_s <= 1.5, f"first item view after sign-in took {first_view_s:.2f} s (budget 1.5 s)"


@pytest.mark.usefixtures("slow_expect")
def test_patient_markdown_is_shown_as_text_and_fetches_nothing(shift: Shift) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1800})
        page.set_default_timeout(WAIT_MS)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        _sign_in(page, shift.url)
        grid = page.get_by_test_id("stDataFrame")
        expect(grid).to_be_visible()
        page.wait_for_timeout(500)  # let the grid paint its canvas
        box = grid.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)  # the emergency sorts first
        expect(page.get_by_role("heading", name="Conversation")).to_be_visible()
        assert f"item={shift.emergency_id}" in page.url
        expect(page.get_by_text(INJECTION).first).to_be_visible()
        page.wait_for_timeout(1000)
        page.screenshot(path=shift.shots / "console-7-patient-markdown.png")
        assert page.locator(f'img[src="{BEACON}"]').count() == 0
        assert page.locator(f'a[href="{PHISH}"]').count() == 0
        assert not [url for url in requested if url.startswith("http://127.0.0.1:9/")]
        browser.close()
