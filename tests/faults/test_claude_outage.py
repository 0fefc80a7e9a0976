"""A Claude outage seen from the patient's side: retries, the offline fallback, then recovery.

One real `carecoord serve` process runs the Claude reasoner (2 attempts per call, a 1 s timeout)
against a local Messages API whose behaviour each test switches: every request answered 429
`rate_limit_error`, 529 `overloaded_error`, left hanging past the client's timeout, or no listener
at all (connection refused). The patient must still get cited answers from the offline reasoner,
emergency instructions at once and never a 5xx; once the API is back (recorded plan cassettes, and a
compose reply quoting the record it was sent), the next turn on the same thread is Claude's again,
without restarting anything.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from agent.checkpoints import open_checkpointer
from agent.graph import build_graph
from carecoord.settings import Settings
from carecoord.wiring import transcript_cipher
from tests.fakes.anthropic_replay import (
    Received,
    Reply,
    api_error,
    cassette,
    hang,
    overloaded,
    rate_limited,
)
from tests.fixtures.agent import SeededSandbox
from tests.fixtures.api import ApiServer, Frame, api_env, ask, metformin_patients, open_session, start_api
from tests.fixtures.processes import free_port, stop

pytestmark = pytest.mark.integration

API_KEY = "sk-ant-outage-0000"
ATTEMPTS = 2
"""`CARECOORD_CLAUDE_MAX_RETRIES`: the attempts each Claude call gets before the fallback."""
TIMEOUT_S = 1.0
"""`CARECOORD_CLAUDE_TIMEOUT_S`: a hung reply is given up on after this long."""
APPOINTMENT = "When is my next appointment?"
REFILL = "Can I get a refill of my metformin?"
RED_FLAG = "I have crushing chest pain"
AFTER_RECOVERY = "What was my last A1c, and when do I see the doctor?"

Script = Callable[[Received], Reply]


# -- the Messages API, switchable between outages ----------------------------------------------
class OutageApi:
    """`POST /v1/messages` at one fixed local address; each test sets how it answers, or refuses."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self._script: Script = lambda _: api_error(400, "invalid_request_error", "no script")
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._hold: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """`ANTHROPIC_BASE_URL` for the API process: the same in every mode."""
        return f"http://127.0.0.1:{self.port}"

    def answer(self, script: Script) -> None:
        """Listen (again, after `refuse`) and answer every request with `script(request)`."""
        with self._lock:
            self._script = script
        if self._server is not None:
            return
        if self._hold is not None:
            self._hold.close()
            self._hold = None
        self._release.clear()
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="outage-api", daemon=True
        )
        self._thread.start()

    def refuse(self) -> None:
        """Stop listening: connections are refused. The port stays bound (not listening) so it is ours."""
        self._close()
        hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        hold.bind(("127.0.0.1", self.port))
        self._hold = hold

    def stop(self) -> None:
        """Release hung replies, stop listening and free the port."""
        self._close()
        if self._hold is not None:
            self._hold.close()
            self._hold = None

    def mark(self) -> int:
        """A position in `received`, to read what came after it."""
        with self._lock:
            return len(self.received)

    def since(self, mark: int) -> list[Received]:
        """The requests received after `mark`."""
        with self._lock:
            return self.received[mark:]

    def reply_to(self, received: Received) -> Reply:
        """Record the request and script its reply."""
        with self._lock:
            self.received.append(received)
            script = self._script
        return script(received)

    def wait_hung(self, seconds: float) -> bool:
        """Hold a hung reply; True when released early (mode switch or shutdown)."""
        return self._release.wait(seconds)

    def _close(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _handler_for(api: OutageApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) if length else b"{}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = api.reply_to(Received(self.path, headers, body))
            if reply.hang_s and api.wait_hung(reply.hang_s):
                return
            payload = json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("request-id", "req_outage")
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: what a hang is for

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# -- what the API answers once it is back ------------------------------------------------------
PLAN_CASSETTES = {AFTER_RECOVERY: "plan_lab_result", REFILL: "plan_refill"}


def new_message(body: dict[str, Any]) -> str:
    """The patient's new message inside a plan request (after any earlier exchanges)."""
    found = re.findall(r"<message>\n(.*?)\n</message>", str(body["messages"][0]["content"]), re.DOTALL)
    return str(found[-1]) if found else ""


def quoting_the_record(body: dict[str, Any]) -> Reply:
    """A compose reply in the recorded shape that quotes each record document it was sent, cited."""
    documents = [block for block in body["messages"][0]["content"] if block["type"] == "document"]
    content = []
    for index, document in enumerate(documents):
        text = document["source"]["data"]
        citation = {
            "type": "char_location",
            "cited_text": text,
            "document_index": index,
            "document_title": document.get("title"),
            "start_char_index": 0,
            "end_char_index": len(text),
            "file_id": None,
        }
        spacer = " " if index < len(documents) - 1 else ""
        content.append({"type": "text", "text": text + spacer, "citations": [citation]})
    return Reply(body={**cassette("compose_refill").body, "content": content})


def judging_all_entailed(body: dict[str, Any]) -> Reply:
    """A judge reply in the recorded shape that finds every sentence it was sent entailed."""
    numbers = re.findall(r'<sentence number="(\d+)"', str(body["messages"][0]["content"]))
    judgements = [
        {"sentence": int(n), "verdict": "entailed", "confidence": 0.9, "unsupported": "", "reason": "stated"}
        for n in numbers
    ]
    recorded = cassette("judge_entailed").body
    return Reply(
        body={**recorded, "content": [{"type": "text", "text": json.dumps({"judgements": judgements})}]}
    )


def kind_of(received: Received) -> str:
    """Which call a request is: plan (tool use), judge (structured output) or compose."""
    if "tools" in received.body:
        return "plan"
    return "judge" if "output_config" in received.body else "compose"


def claude_is_back(received: Received) -> Reply:
    """Plan calls get their recorded cassette; compose calls a reply built from their documents; the
    judge (the gate's second stage) finds every sentence entailed."""
    kind = kind_of(received)
    if kind == "plan":
        name = PLAN_CASSETTES.get(new_message(received.body))
        return cassette(name) if name else api_error(400, "invalid_request_error", "no cassette")
    if kind == "judge":
        return judging_all_entailed(received.body)
    return quoting_the_record(received.body)


@dataclass(frozen=True)
class Outage:
    """One way Claude can fail, and the reason the trace gives after the last attempt."""

    start: Callable[[OutageApi], None]
    reason: str
    reaches_api: bool = True


OUTAGES = {
    "rate-limited": Outage(lambda api: api.answer(lambda _: rate_limited()), "429 rate_limit_error"),
    "overloaded": Outage(lambda api: api.answer(lambda _: overloaded()), "529 overloaded_error"),
    "hanging": Outage(lambda api: api.answer(lambda _: hang(TIMEOUT_S * 3)), "request timed out"),
    "refused": Outage(lambda api: api.refuse(), "cannot reach the API", reaches_api=False),
}


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def outage_api() -> Iterator[OutageApi]:
    api = OutageApi()
    api.answer(claude_is_back)
    yield api
    api.stop()


@pytest.fixture(scope="module")
def claude_api(
    api_settings: Settings,
    seeded_sandbox: SeededSandbox,
    outage_api: OutageApi,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ApiServer]:
    """One `carecoord serve` whose Claude reasoner talks to `outage_api`, for the whole module."""
    folder = tmp_path_factory.mktemp("claude-outage")
    settings = api_settings.model_copy(
        update={
            "database_url": f"sqlite:///{folder / 'api.sqlite3'}",
            "reasoner": "claude",
            "anthropic_api_key": SecretStr(API_KEY),
            "anthropic_base_url": outage_api.base_url,
            "claude_timeout_s": TIMEOUT_S,
            "claude_max_retries": ATTEMPTS,
        }
    )
    env = {
        **api_env(settings),
        "ANTHROPIC_API_KEY": API_KEY,
        "ANTHROPIC_BASE_URL": outage_api.base_url,
        "CARECOORD_CLAUDE_TIMEOUT_S": str(TIMEOUT_S),
        "CARECOORD_CLAUDE_MAX_RETRIES": str(ATTEMPTS),
        # Every turn here tries Claude again (the breaker's cooldown has its own test).
        "CARECOORD_CLAUDE_COOLDOWN_S": "0",
    }
    assert env["CARECOORD_REASONER"] == "claude"
    log_path = folder / "server.log"
    url, process = start_api(settings, log_path, extra_env=env)
    metformin = metformin_patients(seeded_sandbox)
    yield ApiServer(
        url=url,
        settings=settings,
        env=env,
        log_path=log_path,
        process=process,
        cohort_ids=[patient.id for patient in seeded_sandbox.cohort.patients],
        metformin_ids=metformin,
    )
    stop(process)


# -- helpers -----------------------------------------------------------------------------------
class Patient:
    """A patient's client that keeps every HTTP status it was answered with."""

    def __init__(self, api: ApiServer) -> None:
        self.statuses: list[int] = []
        self.client = api.client(api.token(api.patient(on_metformin=True)))
        self.client.event_hooks = {"response": [self._seen]}
        self.thread = open_session(self.client)
        self.frames: list[Frame] = []

    def _seen(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)

    def ask(self, text: str) -> dict[str, Any]:
        """One turn; the closing event must be an answer, not an error."""
        after = self.frames[-1].id if self.frames else 0
        frames = ask(self.client, self.thread, text, after=after)
        self.frames.extend(frames)
        closing = [f for f in frames if f.type in ("answer", "error")]
        assert [f.type for f in closing] == ["answer"], [f.event for f in closing]
        return closing[0].event


def trace_of(api: ApiServer, thread_id: str) -> list[str]:
    """The last turn's trace, read from the checkpoint store the API writes."""
    with open_checkpointer(
        api.settings.database_url, api.settings.data_dir, transcript_cipher(api.settings)
    ) as saver:
        values = build_graph(saver).get_state({"configurable": {"thread_id": thread_id}}).values
    return list(values["trace"])


def assert_cited(answer: dict[str, Any]) -> None:
    """Every [n] marker names a citation, every citation is used, and the verifier kept claims."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    assert answer["citations"], answer
    assert markers == {c["n"] for c in answer["citations"]}, answer
    assert answer["grounding"]["supported"] >= 1, answer["grounding"]


def assert_retried_then_fell_back(requests: list[Received], trace: list[str], outage: Outage) -> None:
    """The plan call had exactly its attempts (the same request each time), then the turn went offline:
    compose does not try Claude again in a turn where it already failed."""
    plans = [r for r in requests if "tools" in r.body]
    composes = [r for r in requests if "tools" not in r.body]
    expected = ATTEMPTS if outage.reaches_api else 0
    assert (len(plans), len(composes)) == (expected, 0), [r.body.get("tools") is None for r in requests]
    assert all(r.body == plans[0].body for r in plans)
    failed = (
        f"plan: claude failed (Claude plan failed after {ATTEMPTS} attempts: {outage.reason}); "
        "falling back to offline"
    )
    assert failed in trace, trace
    assert "compose: offline (claude failed earlier this turn)" in trace, trace


def http_statuses_in_log(log: str) -> list[int]:
    """The status of every request the API logged (`http METHOD PATH STATUS ms=...`)."""
    return [int(status) for status in re.findall(r" http [A-Z]+ \S+ (\d+) ms=", log)]


# -- the tests ---------------------------------------------------------------------------------
def test_the_api_process_runs_the_claude_reasoner(claude_api: ApiServer, outage_api: OutageApi) -> None:
    """Guards the module's premise: without this, 'offline' answers would prove nothing."""
    assert claude_api.env["CARECOORD_REASONER"] == "claude"
    patient = Patient(claude_api)
    try:
        mark = outage_api.mark()
        answer = patient.ask(AFTER_RECOVERY)
    finally:
        patient.client.close()
    assert answer["reasoner"] == "claude"
    assert [kind_of(r) for r in outage_api.since(mark)] == ["plan", "compose", "judge"]


@pytest.mark.parametrize("name", list(OUTAGES))
def test_an_outage_falls_back_to_offline_then_claude_returns(
    name: str, claude_api: ApiServer, outage_api: OutageApi
) -> None:
    outage = OUTAGES[name]
    outage.start(outage_api)
    patient = Patient(claude_api)
    try:
        mark = outage_api.mark()
        started = time.monotonic()
        appointment = patient.ask(APPOINTMENT)
        took_s = time.monotonic() - started
        assert appointment["reasoner"] == "offline"
        assert_cited(appointment)
        assert any(
            c["kind"] == "fhir" and c["id"].startswith("Appointment/") for c in appointment["citations"]
        )
        assert_retried_then_fell_back(outage_api.since(mark), trace_of(claude_api, patient.thread), outage)
        # One failing call (ATTEMPTS timeouts plus backoff), then offline: a hung API cannot stall the patient.
        assert took_s < ATTEMPTS * TIMEOUT_S + 6.0

        mark = outage_api.mark()
        refill = patient.ask(REFILL)
        assert refill["reasoner"] == "offline"
        assert_cited(refill)
        assert "metformin" in refill["answer"].lower()
        assert refill["escalation"] is not None and refill["escalation"]["kind"] == "action_approval"
        assert_retried_then_fell_back(outage_api.since(mark), trace_of(claude_api, patient.thread), outage)

        mark = outage_api.mark()
        emergency = patient.ask(RED_FLAG)
        assert emergency["answer"].startswith("This could be an emergency. Call 911"), emergency["answer"]
        assert emergency["escalation"] is not None
        assert (emergency["escalation"]["level"], emergency["escalation"]["kind"]) == (
            "emergent",
            "emergency",
        )
        assert emergency["tools"] == []
        assert outage_api.since(mark) == [], "the safety screen never waits on Claude"

        outage_api.answer(claude_is_back)
        mark = outage_api.mark()
        recovered = patient.ask(AFTER_RECOVERY)
        requests = outage_api.since(mark)
        assert recovered["reasoner"] == "claude", trace_of(claude_api, patient.thread)
        assert [kind_of(r) for r in requests] == ["plan", "compose", "judge"]
        assert new_message(requests[0].body) == AFTER_RECOVERY
        # The A1c is read by concept: its LOINC code, then anything coded locally since (two reads).
        read = [t["name"] for t in recovered["tools"]]
        assert list(dict.fromkeys(read)) == ["observations", "upcoming_appointments"], read
        assert_cited(recovered)
        sent = [
            b["source"]["data"] for b in requests[1].body["messages"][0]["content"] if b["type"] == "document"
        ]
        assert sent and all(text.split(". ")[0] in recovered["answer"] for text in sent), recovered["answer"]
        trace = trace_of(claude_api, patient.thread)
        assert not [line for line in trace if "falling back" in line]
        assert any(line.startswith("verify: judge claude:") and " removed 0/" in line for line in trace), (
            trace
        )
    finally:
        patient.client.close()
        outage_api.answer(claude_is_back)

    assert patient.statuses and max(patient.statuses) < 500, patient.statuses
    assert not [f for f in patient.frames if f.type == "error"]
    with claude_api.client() as client:
        metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "carecoord_turn_errors_total{" not in metrics.text, "no turn ended in an error event"
    log = claude_api.log_text()
    statuses = http_statuses_in_log(log)
    assert statuses and max(statuses) < 500
    assert "Traceback" not in log and "failed code=" not in log
