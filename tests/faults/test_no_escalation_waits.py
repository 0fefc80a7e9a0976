"""Issue 13, items 5 and 6 on the scale-out stack (2 API workers over a private PostgreSQL).

* A worker killed (`kill -9`) mid-turn: a live worker's recovery sweep finishes the turn and files its
  escalation within the turn lease plus 30 s, with no new patient message and no stream open.
* An emergency reaches a real webhook receiver and a real SMTP server from the API's own dispatchers:
  both workers dispatch, and the row claims let exactly one of them send each message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from carecoord.db import make_engine
from carecoord.review.queue import ReviewQueue
from carecoord.review.views import QueueItem
from carecoord.wiring import phi_keyring
from tests.faults.cluster import Cluster, start_cluster
from tests.fixtures.api import open_session
from tests.fixtures.receivers import SmtpReceiver, WebhookReceiver
from tools.sandbox.cohort import build_cohort
from ui.api.store import TURN_LEASE

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

SECRET = "whsec-faults"
FILE_WITHIN_S = TURN_LEASE.total_seconds() + 30


@pytest.fixture(scope="module")
def receivers() -> Iterator[tuple[WebhookReceiver, SmtpReceiver]]:
    hook, smtp = WebhookReceiver(), SmtpReceiver()
    hook.start()
    smtp.start()
    yield hook, smtp
    hook.stop()
    smtp.stop()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, receivers: tuple[WebhookReceiver, SmtpReceiver]
) -> Iterator[Cluster]:
    hook, smtp = receivers
    env = {
        "CARECOORD_NOTIFY_WEBHOOK_URL": hook.url,
        "CARECOORD_NOTIFY_WEBHOOK_SECRET": SECRET,
        "CARECOORD_SMTP_URL": smtp.url,
        "CARECOORD_NOTIFY_EMAIL_TO": "oncall@clinic.test",
        "CARECOORD_NOTIFY_POLL_S": "0.5",
        "CARECOORD_CONSOLE_URL": "https://console.clinic.test",
    }
    yield from start_cluster(tmp_path_factory.mktemp("no-wait"), extra_env=env)


@pytest.fixture(scope="module")
def engine(cluster: Cluster) -> Iterator[Engine]:
    made = make_engine(cluster.stack.config.database_url, phi_keyring(cluster.stack.settings))
    yield made
    made.dispose()


def _items(engine: Engine, patient: str) -> list[QueueItem]:
    return ReviewQueue(engine).list(patient_id=patient)


def _send(client: httpx.Client, thread: str, text: str) -> None:
    response = client.post(f"/v1/threads/{thread}/messages", json={"text": text})
    assert response.status_code == 202, response.text


def test_a_killed_turn_files_its_escalation_without_a_new_message(cluster: Cluster, engine: Engine) -> None:
    stack = cluster.stack
    cohort = build_cohort(patients=len(cluster.patient_ids), seed=7).patients
    on_metformin = [
        p.id
        for p in cohort
        if p.id not in cluster.used
        and any(
            r["resourceType"] == "MedicationRequest"
            and r.get("status") == "active"
            and "metformin" in str(r.get("medicationCodeableConcept", "")).lower()
            for r in p.resources
        )
    ]
    patient = on_metformin[0]
    cluster.used.add(patient)
    client = cluster.client(patient)
    thread = open_session(client)  # no stream is opened: nobody is watching this thread
    sandbox = stack.pid("sandbox")
    assert sandbox is not None
    os.killpg(sandbox, signal.SIGSTOP)  # the record read hangs, so the turn is surely mid-way
    try:
        _send(client, thread, "Can I get a refill of my metformin?")
        started = cluster.wait_for_log(rf"turn start thread={thread} worker=(\d+)")
        victim = int(started.group(1))
        time.sleep(0.5)
        os.kill(victim, signal.SIGKILL)
    finally:
        os.killpg(sandbox, signal.SIGCONT)
    killed_at = time.monotonic()
    assert _items(engine, patient) == []  # the turn died before filing anything

    filed: list[QueueItem] = []
    while not filed and time.monotonic() - killed_at < FILE_WITHIN_S + 30:
        filed = _items(engine, patient)
        time.sleep(0.25)
    took = time.monotonic() - killed_at
    print(f"escalation filed {took:.1f} s after kill -9 (lease {TURN_LEASE.total_seconds():.0f} s)")
    assert filed and took <= FILE_WITHIN_S, took
    [item] = filed
    assert item.kind == "action_approval" and item.thread == thread

    # The thread tells the patient: the recovered answer and its escalation, no new message needed.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        history = client.get(f"/v1/threads/{thread}").json()
        if not history["busy"]:
            break
        time.sleep(0.25)
    kinds = [e["event"]["type"] for e in history["events"]]
    assert kinds == ["message", "answer", "escalation"], kinds
    answer = history["events"][1]["event"]
    assert answer["recovered"] is True and answer["escalation"]["id"] == item.id
    assert cluster.wait_for_log(rf"turn thread={thread} recovered from its checkpoint worker=\d+ swept")
    assert victim not in stack.wait_for_workers(2)


def test_an_emergency_reaches_the_webhook_and_the_mailbox_once(
    cluster: Cluster, engine: Engine, receivers: tuple[WebhookReceiver, SmtpReceiver]
) -> None:
    hook, smtp = receivers
    patient = cluster.patient()
    client = cluster.client(patient)
    thread = open_session(client)
    sent_at = time.monotonic()
    _send(client, thread, "I have crushing chest pain right now and my left arm is numb")

    item: QueueItem | None = None
    while time.monotonic() - sent_at < 60:
        items = [i for i in _items(engine, patient) if i.kind == "emergency"]
        item = items[0] if items else None
        if item is not None and any(json.loads(p.body)["item"] == item.id for p in hook.received):
            break
        time.sleep(0.25)
    assert item is not None
    took = time.monotonic() - sent_at
    print(f"webhook reached {took:.1f} s after the patient's message")
    time.sleep(3)  # both workers poll every 0.5 s: any duplicate would arrive meanwhile

    posts = [p for p in hook.received if json.loads(p.body)["item"] == item.id]
    mails = [m for m in smtp.messages if item.id in m["Subject"]]
    assert len(posts) == 1 and len(mails) == 1
    [post] = posts
    stamp = post.headers["x-carecoord-timestamp"]
    expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + post.body, hashlib.sha256).hexdigest()
    assert post.headers["x-carecoord-signature"] == f"sha256={expected}"
    body = json.loads(post.body)
    assert body["level"] == "emergent"
    assert body["link"] == f"https://console.clinic.test/item?item={item.id}"
    assert patient not in post.body.decode() and "chest" not in post.body.decode()

    [now] = [i for i in _items(engine, patient) if i.id == item.id]
    assert now.status == "notified"
    assert now.notification is not None and now.notification.state == "sent"
    assert now.notification.channels == ["email", "webhook"]
