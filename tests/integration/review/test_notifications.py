"""Emergent and urgent items reach a person: webhook (HMAC-signed) and e-mail, against real receivers.

Real parts throughout: the review queue and outbox on SQLite and PostgreSQL, a local HTTP receiver and
a local SMTP server (aiosmtpd). Nothing is lost while a receiver is down, nothing is sent twice, and an
unacknowledged item is notified again every `repeat` until someone acknowledges it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from agent.escalations import EscalationRequest
from carecoord.audit import AuditLog
from carecoord.notify.dispatcher import DispatchConfig, Dispatcher
from carecoord.notify.email import EmailChannel, SmtpRelay
from carecoord.notify.outbox import Outbox
from carecoord.notify.webhook import WebhookChannel
from carecoord.review.alerts import QueueAlerts
from carecoord.review.queue import ReviewQueue
from tests.fixtures.agent import TEST_KEYS
from tests.fixtures.receivers import SmtpReceiver, WebhookReceiver
from tests.integration.review.conftest import BACKENDS

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("database_url", BACKENDS, indirect=True)]

SECRET = "whsec-test-1"
CONSOLE = "https://console.example.org"
SUMMARY = "Chest pain for 20 minutes in Maria Lopez, 67"
"""PHI in the item's summary: none of it may leave in a notification."""


class Clock:
    """A clock the test moves (the dispatcher's `clock`)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def queue(engine: Engine) -> ReviewQueue:
    return ReviewQueue(engine, audit=AuditLog(engine))


def dispatcher(
    engine: Engine, hook: WebhookReceiver, smtp: SmtpReceiver, clock: Clock | None = None, **timing: object
) -> Dispatcher:
    channels = [
        WebhookChannel(hook.url, SecretStr(SECRET), timeout_s=2.0),
        EmailChannel(SmtpRelay.from_url(smtp.url), "carecoord@clinic.test", ("oncall@clinic.test",), 2.0),
    ]
    config = DispatchConfig(console_url=CONSOLE, retry_wait_s=0.01, **timing)  # type: ignore[arg-type]
    made = Dispatcher(Outbox(engine), QueueAlerts(engine), channels, AuditLog(engine), config)
    if clock is not None:
        made.clock = clock
    return made


def file(queue: ReviewQueue, n: int, kind: str = "emergency", level: str = "emergent") -> str:
    request = EscalationRequest.model_validate(
        {
            "dedupe_key": f"t{n}:{kind}",
            "patient_id": "pat-maria-lopez",
            "thread_id": f"t-{n}",
            "kind": kind,
            "level": level,
            "summary": SUMMARY,
            "rationale": "red flag: chest pain",
            "question": "crushing pain in my chest",
        }
    )
    return queue.file(request).id


def attempts(engine: Engine, item_id: str) -> list[dict[str, object]]:
    entries = AuditLog(engine).entries(action="notify.attempt", subject=f"review:{item_id}")
    return [{"channel": e.subjects, "seq": e.seq} for e in entries]


def test_an_emergency_reaches_the_webhook_and_the_mailbox_without_phi(
    engine: Engine, queue: ReviewQueue, hook: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    item_id = file(queue, 1)
    assert queue.require(item_id).status == "notifying"  # filed, not yet delivered

    assert dispatcher(engine, hook, smtp).tick() == 2

    [posted] = hook.received
    body = json.loads(posted.body)
    link = f"{CONSOLE}/item?item={item_id}"
    assert body["text"] == f"[EMERGENT] CareCoord item {item_id} needs attention: {link}"
    assert (body["item"], body["level"], body["link"], body["round"]) == (item_id, "emergent", link, 0)
    stamp = posted.headers["x-carecoord-timestamp"]
    expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + posted.body, hashlib.sha256).hexdigest()
    assert posted.headers["x-carecoord-signature"] == f"sha256={expected}"
    assert abs(int(stamp) - time.time()) < 30
    assert posted.headers["idempotency-key"].startswith("ntf-")

    [mail] = smtp.messages
    assert smtp.envelopes[0].rcpt_tos == ["oncall@clinic.test"]
    assert mail["Subject"] == f"[EMERGENT] CareCoord item {item_id} needs attention"
    assert link in mail.get_payload(decode=True).decode()
    for leaked in ("Maria", "Lopez", "pat-maria-lopez", "chest", "t-1"):
        assert leaked not in posted.body.decode() and leaked not in mail.as_string()

    # The status now says what happened; the list shows it; each attempt is in the audit trail.
    assert queue.require(item_id).status == "notified"
    [listed] = queue.list()
    assert listed.notification is not None
    assert listed.notification.state == "sent" and listed.notification.channels == ["email", "webhook"]
    assert listed.notification.rounds == 1 and listed.notification.attempts == 2
    entries = AuditLog(engine).entries(action="notify.attempt", subject=f"review:{item_id}")
    assert len(entries) == 2 and all(e.actor == "notify" for e in entries)
    assert AuditLog(engine).verify().ok


def test_routine_items_do_not_notify_and_urgent_ones_do(
    engine: Engine, queue: ReviewQueue, hook: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    routine = file(queue, 2, kind="clinical_question", level="routine")
    urgent = file(queue, 3, kind="action_approval", level="urgent")

    dispatcher(engine, hook, smtp).tick()

    assert [json.loads(p.body)["item"] for p in hook.received] == [urgent]
    assert len(smtp.messages) == 1 and smtp.messages[0]["Subject"].startswith("[URGENT]")
    assert queue.require(urgent).status == "pending"  # an urgent item still waits for its decision
    shown = {item.id: item.notification for item in queue.list()}
    assert shown[routine] is None and shown[urgent] is not None and shown[urgent].state == "sent"


def test_a_receiver_down_then_back_gets_each_message_once(
    engine: Engine, queue: ReviewQueue, hook: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    hook.stop()  # connection refused
    smtp.stop()
    clock = Clock()
    sender = dispatcher(engine, hook, smtp, clock, repeat=timedelta(minutes=10))
    item_id = file(queue, 4)

    assert sender.tick() == 0
    item = queue.list()[0]
    assert item.status == "notifying"  # nobody was notified, and the status says so
    assert item.notification is not None and item.notification.state == "retrying"
    assert item.notification.attempts == 6 and item.notification.last_error
    failed = AuditLog(engine).entries(action="notify.attempt", subject=f"review:{item_id}")
    assert len(failed) == 6  # three quick tries per channel, each audited

    clock.advance(seconds=5)
    assert sender.tick() == 0  # before the back-off ends nothing is tried again
    assert len(AuditLog(engine).entries(action="notify.attempt", subject=f"review:{item_id}")) == 6

    hook.status = 503  # the webhook answers but refuses
    hook.start()
    smtp.start()
    clock.advance(seconds=20)
    assert sender.tick() == 1  # the mail goes; the webhook keeps its row for later
    assert len(smtp.messages) == 1 and hook.received == []

    hook.status = 200
    clock.advance(minutes=2)
    # Two dispatchers (two API workers) race for the same row: the claim lets one send it.
    other = dispatcher(engine, hook, smtp, clock)
    results: list[int] = []
    workers = [threading.Thread(target=lambda d=d: results.append(d.tick())) for d in (sender, other)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(results) == [0, 1]
    assert len(hook.received) == 1 and len(smtp.messages) == 1
    assert queue.require(item_id).status == "notified"

    clock.advance(minutes=1)
    assert sender.tick() == 0 and other.tick() == 0  # nothing is sent twice
    assert len(hook.received) == 1 and len(smtp.messages) == 1


def test_a_dispatcher_that_died_holding_a_claim_is_taken_over_after_its_lease(
    engine: Engine, queue: ReviewQueue, hook: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    clock = Clock()
    item_id = file(queue, 5)
    survivor = dispatcher(engine, hook, smtp, clock, lease=timedelta(seconds=60))
    outbox = Outbox(engine)
    outbox.schedule(QueueAlerts(engine).open_alerts(), ["webhook", "email"], timedelta(minutes=10), clock.now)
    claimed = outbox.claim("dead-worker", timedelta(seconds=60), clock.now, ["webhook", "email"])
    assert len(claimed) == 2  # then it was killed

    assert survivor.tick() == 0 and hook.received == []  # its claims are still live
    clock.advance(seconds=61)
    assert survivor.tick() == 2
    assert [json.loads(p.body)["item"] for p in hook.received] == [item_id] and len(smtp.messages) == 1


def test_unacknowledged_items_are_notified_again_every_repeat_until_acknowledged(
    engine: Engine, queue: ReviewQueue, hook: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    repeat_s = 1.5
    sender = dispatcher(engine, hook, smtp, repeat=timedelta(seconds=repeat_s), poll_s=0.1)
    item_id = file(queue, 6)
    stop = sender.start()  # the background thread the API runs
    try:
        deadline = time.monotonic() + 30
        while len(hook.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(hook.received) >= 3
        queue.claim_acknowledgement(queue.require(item_id), "drlee")
        before = len(hook.received)
        time.sleep(repeat_s * 3)
    finally:
        stop()

    rounds = [json.loads(p.body)["round"] for p in hook.received]
    assert rounds == list(range(len(rounds)))  # one message per round, in order
    gaps = [b.at - a.at for a, b in zip(hook.received, hook.received[1:], strict=False)]
    # Never early; late only by a poll plus the other channel's send and the audit writes (slow on a
    # loaded machine: the bound leaves room for that, not for a missed round).
    assert all(repeat_s <= gap < repeat_s + 4.0 for gap in gaps), gaps
    # After the acknowledgement at most the one message already on its way; no round is queued after it.
    assert len(hook.received) <= before + 1
    assert all(row.status in ("sent", "cancelled") for row in Outbox(engine).rows([item_id]))
    assert [m["Subject"] for m in smtp.messages][1].endswith("(reminder 1)")
    assert queue.require(item_id).status == "notified"
    [listed] = queue.list()
    assert listed.notification is not None and listed.notification.rounds == len(rounds)


def test_an_item_acknowledged_before_delivery_is_not_notified(
    engine: Engine, queue: ReviewQueue, hook: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    hook.stop()
    smtp.stop()
    clock = Clock()
    sender = dispatcher(engine, hook, smtp, clock)
    item_id = file(queue, 7)
    sender.tick()  # fails: both receivers down
    assert queue.claim_acknowledgement(queue.require(item_id), "drlee")
    assert queue.require(item_id).status == "notified"  # a person has it

    hook.start()
    smtp.start()
    clock.advance(minutes=5)
    assert sender.tick() == 0
    assert hook.received == [] and smtp.messages == []
    [listed] = queue.list()
    assert listed.notification is not None and listed.notification.state == "cancelled"


@pytest.mark.slow  # three `carecoord` subprocesses per backend
def test_review_list_shows_whether_the_on_call_team_was_notified(
    engine: Engine,
    database_url: str,
    queue: ReviewQueue,
    hook: WebhookReceiver,
    smtp: SmtpReceiver,
    tmp_path: Path,
) -> None:
    clock = Clock()
    sender = dispatcher(engine, hook, smtp, clock)
    delivered = file(queue, 8)
    routine = file(queue, 9, kind="clinical_question", level="routine")
    sender.tick()
    hook.stop()
    smtp.stop()
    failing = file(queue, 10, kind="action_approval", level="urgent")
    sender.tick()

    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECOORD_")}
    env.update(CARECOORD_DATABASE_URL=database_url, CARECOORD_DATA_DIR=str(tmp_path), COLUMNS="250")
    env.update(
        CARECOORD_TRANSCRIPT_KEYS=json.dumps({k: v.get_secret_value() for k, v in TEST_KEYS.items()}),
        CARECOORD_TRANSCRIPT_KEY_ID="test",
    )

    def carecoord(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "carecoord", "review", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = {item["id"]: item["notification"] for item in json.loads(carecoord("list", "--json"))}
    assert listed[routine] is None
    assert listed[delivered]["state"] == "sent" and listed[delivered]["channels"] == ["email", "webhook"]
    assert listed[failing]["state"] == "retrying" and listed[failing]["attempts"] == 6
    assert listed[failing]["last_error"].startswith(("webhook", "smtp"))

    table = carecoord("list")  # the short cell that fits 80 columns; `review show` has the detail
    rows = {line.split()[0]: line for line in table.splitlines() if line.strip().startswith("esc-")}
    assert "notified" in table  # the column header
    assert "retrying" in rows[failing]
    assert f"sent {queue.list()[0].notification.last_sent:%H:%M}" in rows[delivered]  # type: ignore[union-attr]
    assert "—" in rows[routine]
    shown = carecoord("show", delivered)
    assert "On-call notified sent" in shown and "email+webhook" in shown


def test_a_process_claims_only_the_channels_it_can_send_on(
    engine: Engine, queue: ReviewQueue, hook: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    both = dispatcher(engine, hook, smtp)
    config = DispatchConfig(console_url=CONSOLE, retry_wait_s=0.01)
    webhook_only = Dispatcher(
        Outbox(engine), QueueAlerts(engine), [WebhookChannel(hook.url)], AuditLog(engine), config
    )
    item_id = file(queue, 11)
    outbox = Outbox(engine)
    outbox.schedule(
        QueueAlerts(engine).open_alerts(), ["webhook", "email"], timedelta(minutes=10), both.clock()
    )

    assert webhook_only.tick() == 1 and smtp.messages == []
    [email] = [row for row in outbox.rows([item_id]) if row.channel == "email"]
    assert (email.status, email.attempts, email.claimed_by) == ("queued", 0, None)
    assert both.tick() == 1 and len(smtp.messages) == 1 and len(hook.received) == 1
