"""Faults on the scale-out stack: a worker killed mid-turn, FHIR, Chroma and PostgreSQL restarted.

Every test runs against real processes (2 API workers over a private PostgreSQL, a Chroma server,
the sandbox FHIR server, Redis) and checks the promises: clear 503s while a part is down, a turn that
degrades to an escalation instead of failing, recovery without restarting anything of ours, and no
lost or half-written state. The last test verifies the audit chain after all of them.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.cluster import Cluster, StreamWatcher, start_cluster
from tests.fixtures.api import Frame, open_session

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One stack for the module's faults (they run in order; each leaves the stack healthy)."""
    yield from start_cluster(tmp_path_factory.mktemp("faults"))


def _post(client: httpx.Client, url: str, body: dict[str, str] | None = None) -> httpx.Response:
    """POST, retrying once when a kept-alive connection was to a worker that died (as browsers do)."""
    try:
        return client.post(url, json=body)
    except httpx.TransportError:
        return client.post(url, json=body)


def _send(client: httpx.Client, thread_id: str, text: str) -> None:
    response = _post(client, f"/v1/threads/{thread_id}/messages", {"text": text})
    assert response.status_code == 202, response.text


def _answers(watcher: StreamWatcher, count: int, timeout_s: float = 60.0) -> list[Frame]:
    return watcher.wait_for("answer", count, timeout_s)


def _kill_a_worker(cluster: Cluster) -> int:
    """SIGKILL a worker while a server is down: its replacement must wait, not take the API down."""
    pids = cluster.stack.worker_pids()
    os.kill(pids[0], signal.SIGKILL)
    return pids[0]


def _assert_replacement_started(cluster: Cluster, killed: int) -> None:
    """The supervisor is alive, and the worker that replaced `killed` finished its startup."""
    supervisor = cluster.stack.pid("api")
    assert supervisor is not None and Path(f"/proc/{supervisor}").exists()
    workers = cluster.stack.wait_for_workers(2)
    assert killed not in workers
    for pid in workers:
        cluster.wait_for_log(rf"\[{pid}\] Application startup complete", timeout_s=120)
    assert "stopping the parent process" not in cluster.stack.log("api")


def _error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def test_a_worker_killed_mid_turn_is_finished_by_a_live_worker_without_a_new_message(
    cluster: Cluster,
) -> None:
    stack = cluster.stack
    client = cluster.client(cluster.patient())
    thread = open_session(client)
    watcher = StreamWatcher(client, thread)
    sandbox = stack.pid("sandbox")
    assert sandbox is not None
    os.killpg(sandbox, signal.SIGSTOP)  # the record hangs, so the turn is surely still running
    try:
        _send(client, thread, "What medications am I taking?")
        started = cluster.wait_for_log(rf"turn start thread={thread} worker=(\d+)")
        victim = int(started.group(1))
        assert victim in stack.worker_pids()
        time.sleep(0.5)
        os.kill(victim, signal.SIGKILL)
    finally:
        os.killpg(sandbox, signal.SIGCONT)
    killed_at = time.monotonic()

    # Once the dead worker's lease lapses, the recovery sweep of a live worker finishes the turn from
    # its checkpoint: the answer arrives without the patient writing again (issue 13, item 6).
    [recovered] = _answers(watcher, 1, timeout_s=60)
    assert time.monotonic() - killed_at < 45
    assert recovered.event["recovered"] is True
    assert "prescription" in recovered.event["answer"]
    assert {c["kind"] for c in recovered.event["citations"]} == {"fhir"}
    assert not [f for f in watcher.frames if f.type == "error"]
    assert all(status == 200 for status in watcher.statuses)
    assert cluster.wait_for_log(rf"turn thread={thread} recovered from its checkpoint worker=\d+ swept")

    # The supervisor replaces the worker; the next message is an ordinary turn.
    assert victim not in stack.wait_for_workers(2)
    _send(client, thread, "When is my next appointment?")
    _, latest = _answers(watcher, 2)
    watcher.close()
    assert latest.event["recovered"] is False
    assert "appointment" in latest.event["answer"].lower()

    history = client.get(f"/v1/threads/{thread}").json()
    kinds = [e["event"]["type"] for e in history["events"]]
    assert kinds == ["message", "answer", "message", "answer"]
    assert history["busy"] is False


def test_the_fhir_server_restarting_degrades_turns_to_escalations(cluster: Cluster) -> None:
    stack = cluster.stack
    patient = cluster.patient()
    client = cluster.client(patient)
    thread = open_session(client)
    watcher = StreamWatcher(client, thread)
    stack.stop_service("sandbox")
    try:
        opened = _post(client, "/v1/sessions")
        assert opened.status_code == 503
        assert _error_code(opened) == "fhir_unavailable"
        ready = httpx.get(f"{stack.api_url}/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["checks"]["fhir"] != "ok"
        assert ready.json()["checks"]["database"] == "ok"

        _send(client, thread, "What medications am I taking?")
        [answer] = _answers(watcher, 1)
        assert "can't reach your records" in answer.event["answer"]
        escalation = watcher.wait_for("escalation")[0].event
        assert escalation["kind"] == "clinical_question"
    finally:
        stack.start_service("sandbox")
    filed = {item["id"] for item in cluster.review_items(patient)}
    assert escalation["id"] in filed

    _send(client, thread, "What medications am I taking?")
    answers = _answers(watcher, 2)
    watcher.close()
    assert "prescription" in answers[1].event["answer"]
    assert answers[1].event["escalation"] is None
    assert _post(client, "/v1/sessions").status_code == 201


def test_the_chroma_server_restarting_degrades_guidance_to_an_escalation(cluster: Cluster) -> None:
    stack = cluster.stack
    patient = cluster.patient()
    client = cluster.client(patient)
    thread = open_session(client)
    watcher = StreamWatcher(client, thread)
    question = "What should I do if I miss a dose?"
    stack.stop_service("chroma")
    replaced = _kill_a_worker(cluster)
    try:
        ready = httpx.get(f"{stack.api_url}/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["checks"]["chroma"] != "ok"
        _send(client, thread, question)
        [answer] = _answers(watcher, 1)
        assert "can't reach our health library" in answer.event["answer"]
        assert not [c for c in answer.event["citations"] if c["kind"] == "knowledge"]
        escalation = watcher.wait_for("escalation")[0].event
    finally:
        stack.start_service("chroma")
    assert escalation["id"] in {item["id"] for item in cluster.review_items(patient)}
    _assert_replacement_started(cluster, replaced)

    _send(client, thread, question)
    answers = _answers(watcher, 2)
    watcher.close()
    assert "health library" not in answers[1].event["answer"]
    assert {c["kind"] for c in answers[1].event["citations"]} >= {"knowledge"}


def test_postgresql_restarting_gives_clear_503s_and_open_streams_recover(cluster: Cluster) -> None:
    stack = cluster.stack
    sessions = []
    for _ in range(3):
        client = cluster.client(cluster.patient())
        thread = open_session(client)
        sessions.append((client, thread, StreamWatcher(client, thread)))
    for client, thread, watcher in sessions:
        _send(client, thread, "When is my next appointment?")
        _answers(watcher, 1)

    cluster.postgres.stop("fast")
    replaced = _kill_a_worker(cluster)
    try:
        client, thread, _ = sessions[0]
        refused = _post(client, f"/v1/threads/{thread}/messages", {"text": "Hello"})
        assert refused.status_code == 503
        assert _error_code(refused) == "database_unavailable"
        assert refused.headers["Retry-After"].isdigit()
        opened = _post(client, "/v1/sessions")
        assert opened.status_code == 503
        ready = httpx.get(f"{stack.api_url}/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] != "ok"
        time.sleep(2.0)  # the open streams poll the database meanwhile
    finally:
        cluster.postgres.start()

    _assert_replacement_started(cluster, replaced)
    # No restart of ours: the same streams and workers carry on.
    for client, thread, _watcher in sessions:
        _send(client, thread, "What medications am I taking?")
    for _client, _thread, watcher in sessions:
        second = _answers(watcher, 2)[1]
        watcher.close()
        assert "prescription" in second.event["answer"]
    client = cluster.client(cluster.patient())
    assert _post(client, "/v1/sessions").status_code == 201
    assert httpx.get(f"{stack.api_url}/readyz", timeout=30).status_code == 200
    assert "Internal" not in stack.log("api")
    assert " 500 " not in stack.log("api")


def test_the_audit_chain_verifies_after_every_fault(cluster: Cluster) -> None:
    result = cluster.cli("audit", "verify")
    assert result.returncode == 0, result.stderr
    listed = cluster.cli("audit", "list", "--json") if _has_json_list(cluster) else None
    assert listed is None or listed.returncode == 0


def _has_json_list(cluster: Cluster) -> bool:
    return "--json" in cluster.cli("audit", "list", "--help").stdout


def test_the_stack_wrote_its_logs(cluster: Cluster) -> None:
    assert Path(cluster.stack.data_dir / "run" / "api.log").stat().st_size > 0
