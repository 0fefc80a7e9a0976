"""The chat widget in a real browser: demo page → cited answer → escalation card → live approval.

Chromium is Debian's (`apt-get install -y chromium`); screenshots of each state land in
tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
import select
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from carecoord.db import make_engine
from carecoord.users import UserStore
from carecoord.wiring import phi_keyring
from tests.fixtures.agent import SeededSandbox
from tests.fixtures.api import ApiServer, has_type, read_events

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
WAIT_MS = 60_000
CLI = [sys.executable, "-m", "carecoord"]


class FlakyLink:
    """A TCP relay in front of the API whose connections the test can cut, like a dropped network."""

    def __init__(self, upstream_port: int) -> None:
        link = self
        self.upstream_port = upstream_port
        self.paused = threading.Event()
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()

        class Relay(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                client: socket.socket = self.request
                if link.paused.is_set():
                    return  # closed at once: the browser sees a network error and retries
                upstream = socket.create_connection(("127.0.0.1", link.upstream_port))
                with link.lock:
                    link.open.update({client, upstream})
                try:
                    link.pump(client, upstream)
                finally:
                    with link.lock:
                        link.open.difference_update({client, upstream})
                    upstream.close()

        socketserver.ThreadingTCPServer.daemon_threads = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Relay)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def pump(a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        while True:
            try:
                ready, _, _ = select.select(list(peers), [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
            except OSError:
                return

    def drop(self) -> None:
        """Refuse new connections and cut the open ones."""
        self.paused.set()
        with self.lock:
            for sock in list(self.open):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def restore(self) -> None:
        """Let connections through again."""
        self.paused.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def link(api_server: ApiServer) -> Iterator[FlakyLink]:
    relay = FlakyLink(int(api_server.url.rsplit(":", 1)[1]))
    yield relay
    relay.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed: run `make browser` (apt-get install -y chromium)")
    from playwright.sync_api import expect, sync_playwright

    # `expect` waits as long as the pages do: an answer on a loaded 2-core machine can take over 5 s.
    expect.set_options(timeout=WAIT_MS)
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            yield launched
            launched.close()
    finally:
        expect.set_options(timeout=5_000)


def _patient_with_appointment(api_server: ApiServer, sandbox: SeededSandbox) -> str:
    """A metformin patient (a refill drafts an action) with a booked visit ahead (a cited answer)."""
    now = datetime.now(UTC).isoformat()
    for patient in sandbox.cohort.patients:
        if patient.id not in api_server.metformin_ids or patient.id in api_server.used:
            continue
        if any(
            r["resourceType"] == "Appointment" and r.get("status") == "booked" and r.get("start", "") > now
            for r in patient.resources
        ):
            api_server.used.add(patient.id)
            return patient.id
    raise AssertionError("the seed-7 cohort has metformin patients with upcoming visits")


def _approve(api_server: ApiServer, escalation_id: str) -> str:
    """Approve through the review backend's command line, as a clinician would."""
    engine = make_engine(api_server.settings.sqlalchemy_url, phi_keyring(api_server.settings))
    users = UserStore(engine)
    if users.get("drweb") is None:
        users.add("drweb", "correct horse battery", "clinician", "Dr. Web")
    engine.dispose()
    result = subprocess.run(
        [*CLI, "review", "approve", escalation_id, "--as", "drweb", "--password-stdin"],
        input="correct horse battery\n\n",  # the password, then no authenticator code
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_chat_cite_escalate_and_see_the_approval_live(
    browser: object, api_server: ApiServer, seeded_sandbox: SeededSandbox, link: FlakyLink
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(exist_ok=True)
    patient = _patient_with_appointment(api_server, seeded_sandbox)
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.set_default_timeout(WAIT_MS)
    page.goto(f"http://127.0.0.1:{link.port}/")  # through the relay, so the test can drop the network
    page.wait_for_selector(f'#patient option[value="{patient}"]', state="attached")
    page.select_option("#patient", patient)
    page.click("#start")

    launcher = page.locator(".cc-launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".cc-panel")).to_have_attribute("role", "dialog")
    expect(page.locator(".cc-log")).to_have_attribute("role", "log")
    expect(page.locator(".cc-input")).to_be_focused()
    page.evaluate("window.__stillTheSamePage = true")

    # 1. A question answered from the record, with a numbered citation that expands to its source.
    page.fill(".cc-input", "When is my next appointment?")
    page.keyboard.press("Enter")
    cite = page.locator(".cc-assistant .cc-cite").first
    expect(cite).to_have_text("[1]")
    cite.click()
    source = page.locator(".cc-assistant .cc-source details").first
    expect(source).to_have_attribute("open", "")
    expect(source.locator("summary")).to_contain_text("[1] Your appointments")
    # The source shows what the record holds (the visit's time, specialty, status), not the sentence again.
    record = source.locator(".cc-record li").first
    expect(record).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} · .+ · booked$"))
    assert record.inner_text() not in page.locator(".cc-assistant .cc-answer").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "widget-1-answer.png"))

    # 2. A refill: the answer plus an escalation card awaiting review.
    page.fill(".cc-input", "Can I get a refill of my metformin?")
    page.click(".cc-send")
    card = page.locator('.cc-card[data-escalation-id][data-status="pending"]')
    expect(card).to_contain_text("Sent to your care team — awaiting review")
    expect(card).to_contain_text("metformin")
    escalation_id = card.get_attribute("data-escalation-id")
    assert escalation_id and escalation_id.startswith("esc-")
    page.screenshot(path=str(ARTIFACTS / "widget-2-escalation.png"))

    # 3. A clinician approves from another process: the card turns without a reload.
    said = _approve(api_server, escalation_id)
    assert "approved by drweb" in said
    approved = page.locator(f'.cc-card[data-escalation-id="{escalation_id}"][data-status="approved"]')
    expect(approved).to_contain_text("Approved by your care team")
    expect(page.locator(".cc-decision").last).to_contain_text("Your care team (Dr. Web) approved")
    assert page.evaluate("window.__stillTheSamePage") is True
    page.screenshot(path=str(ARTIFACTS / "widget-3-approved.png"))

    # 4. A dropped stream: an answer produced while offline shows up after the reconnect.
    thread = page.evaluate("Object.keys(sessionStorage).map(k => sessionStorage.getItem(k))[0]")
    link.drop()
    expect(page.locator(".cc-root")).to_have_attribute("data-stream-lost", "true")
    with api_server.client(api_server.token(patient)) as client:
        after = client.get(f"/v1/threads/{thread}").json()["events"][-1]["id"]
        sent = client.post(f"/v1/threads/{thread}/messages", json={"text": "What medications am I taking?"})
        assert sent.status_code == 202
        read_events(client, thread, has_type("answer"), after=after)
    link.restore()
    expect(page.locator(".cc-patient").last).to_contain_text("What medications am I taking?")
    expect(page.locator(".cc-assistant").last).to_contain_text("You have an active prescription for")
    expect(page.locator(".cc-root")).not_to_have_attribute("data-stream-lost", "true")
    assert page.locator(".cc-patient", has_text="What medications am I taking?").count() == 1

    # 5. An emergency: a banner with 911 and 988 as large tap targets, on the emergent answer itself.
    page.fill(".cc-input", "I have crushing chest pain and can't breathe")
    page.click(".cc-send")
    emergent = page.locator('.cc-assistant[data-emergency="true"]')
    banner = emergent.locator(".cc-emergency")
    expect(banner).to_be_visible()
    expect(emergent).to_contain_text("911")
    expect(banner).to_have_attribute("role", "alert")
    for number in ("911", "988"):
        call = banner.locator(f'a[href="tel:{number}"]')
        box = call.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44
    page.screenshot(path=str(ARTIFACTS / "widget-4-emergency.png"))

    # 5b. Issue 13 item 7: a later unrelated answer does not carry the banner; the emergent message keeps it.
    answers = page.locator(".cc-assistant").count()
    page.fill(".cc-input", "is pizza ok?")
    page.click(".cc-send")
    expect(page.locator(".cc-assistant")).to_have_count(answers + 1)
    later = page.locator(".cc-assistant").last
    expect(later.locator(".cc-emergency")).to_have_count(0)
    assert later.get_attribute("data-emergency") is None
    expect(page.locator(".cc-emergency")).to_have_count(1)
    expect(emergent).to_have_count(1)
    expect(banner).to_be_visible()

    # 6. Keyboard: Escape (from inside the panel) closes it and gives focus back to the launcher.
    page.focus(".cc-input")
    page.keyboard.press("Escape")
    expect(page.locator(".cc-panel")).to_be_hidden()
    expect(launcher).to_be_focused()

    # 7. A 360 px phone: the panel fits the screen without sideways scrolling.
    page.set_viewport_size({"width": 360, "height": 740})
    launcher.click()
    panel = page.locator(".cc-panel").bounding_box()
    assert panel is not None and panel["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "widget-5-mobile-360.png"))

    # 8. A reload replays the history: the banner is back on the emergent answer only, and not announced
    # again as a new alert; the later answers stay without it.
    page.set_viewport_size({"width": 1000, "height": 800})
    page.reload()
    page.locator(".cc-launcher").click()
    expect(page.locator(".cc-patient", has_text="is pizza ok?")).to_have_count(1)
    expect(page.locator(".cc-assistant")).to_have_count(answers + 1)
    replayed = page.locator('.cc-assistant[data-emergency="true"]')
    expect(replayed).to_have_count(1)
    expect(replayed).to_contain_text("911")
    expect(page.locator(".cc-emergency")).to_have_count(1)
    expect(replayed.locator(".cc-emergency")).to_have_attribute("role", "group")
    expect(page.locator(".cc-assistant").last.locator(".cc-emergency")).to_have_count(0)
    page.close()


AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def _axe_serious(page: object) -> list[str]:
    """Serious and critical axe-core violations on the page, one line each (rule, target)."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE}): run `make browser`")
    # Evaluated, not injected as a <script>: the page's CSP rightly refuses inline scripts it did not hash.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result
        if v["impact"] in SERIOUS
    ]


def _uncovered(page: object, selector: str) -> bool:
    """Whether the element at the centre of `selector` is that control itself (nothing lies over it)."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    return bool(
        page.evaluate(
            """(selector) => {
                const target = document.querySelector(selector);
                const box = target.getBoundingClientRect();
                const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
                return top === target || target.contains(top);
            }""",
            selector,
        )
    )


def test_sources_placement_and_accessibility(
    browser: object, api_server: ApiServer, seeded_sandbox: SeededSandbox, tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    patient = _patient_with_appointment(api_server, seeded_sandbox)
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{api_server.url}/")
    page.wait_for_selector(f'#patient option[value="{patient}"]', state="attached")
    page.select_option("#patient", patient)
    page.click("#start")

    # Keyboard: the launcher opens with Enter and puts the cursor in the message box.
    launcher = page.locator(".cc-launcher")
    launcher.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".cc-panel")).to_be_visible()
    expect(page.locator(".cc-input")).to_be_focused()
    for control in ("#patient", "#start"):
        assert _uncovered(page, control), f"the open panel covers the page's {control}"

    # Ten prescriptions from one medication list read as one source, cited once per sentence.
    page.fill(".cc-input", "What medications am I taking?")
    page.keyboard.press("Enter")
    answer = page.locator(".cc-assistant").last
    expect(answer).to_contain_text("You have an active prescription for")
    titles = answer.locator(".cc-source summary").all_inner_texts()
    labels = [t.split("] ", 1)[1] for t in titles]
    assert len(labels) == len(set(labels)), titles
    assert [t.split("]")[0] for t in titles] == [f"[{n}" for n in range(1, len(titles) + 1)]
    medication_list = answer.locator(".cc-source-fhir").first
    assert int(medication_list.get_attribute("data-count") or "0") >= 2
    markers = answer.locator(".cc-answer .cc-cite").all_inner_texts()
    assert set(markers) <= {f"[{n}]" for n in range(1, len(titles) + 1)}
    expect(medication_list.locator(".cc-quote")).to_have_count(
        0
    )  # a record source does not repeat a sentence
    page.screenshot(path=str(tmp_path / "widget-sources.png"))

    serious = _axe_serious(page)
    assert serious == [], serious

    # Placement options for embedding: a top-left, smaller panel.
    token = api_server.token(patient)
    page.evaluate(
        """([api, token]) => window.CareCoordWidget.mount(
            {api, token, position: "top-left", width: "340", height: "420px", offsetX: 24, avoid: false})""",
        [api_server.url, token],
    )
    page.locator(".cc-launcher").click()
    box = page.locator(".cc-panel").bounding_box()
    assert box is not None and box["x"] == 24 and box["width"] == 340 and box["height"] == 420
    assert box["y"] > 60, "the panel opens below the launcher at the top"
    page.screenshot(path=str(tmp_path / "widget-top-left.png"))
    page.close()
