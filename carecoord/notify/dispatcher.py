"""`Dispatcher`: turns open emergent and urgent items into delivered notifications, in any process.

Each `tick` queues the rounds now due (the first alert of a newly filed item, a reminder for one still
unacknowledged `repeat` after its last delivery), claims due rows and sends them, retrying quick
failures with tenacity and auditing every attempt. A row that still fails is retried later with a
growing delay, never dropped; a row sent but not yet recorded when its process died is sent again by
another dispatcher once the claim lapses (same `Idempotency-Key` / `Message-ID`). `run` ticks on a
background thread until stopped: the API runs one per worker process.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from carecoord.audit import AuditLog
from carecoord.notify.alert import Alert, AlertSource
from carecoord.notify.channels import Channel, DeliveryError
from carecoord.notify.outbox import Outbox
from carecoord.notify.tables import Notification

log = logging.getLogger("carecoord.notify")


@dataclass(frozen=True)
class DispatchConfig:
    """Timing of the dispatcher (built from settings in `carecoord.wiring`)."""

    console_url: str
    repeat: timedelta = timedelta(minutes=10)
    poll_s: float = 5.0
    attempts: int = 3
    """Quick tries per claim (tenacity), each audited, before the row waits for a later retry."""
    retry_wait_s: float = 0.5
    """First wait between quick tries (doubling)."""
    backoff: timedelta = timedelta(seconds=15)
    """Wait before the next claim of a row whose quick tries all failed (doubling, up to `max_backoff`)."""
    max_backoff: timedelta = timedelta(minutes=2)
    lease: timedelta = timedelta(seconds=60)
    """How long a claim lasts; a dispatcher that died mid-send loses its rows after this."""


@dataclass
class Dispatcher:
    """Delivers the outbox over `channels`, auditing each attempt."""

    outbox: Outbox
    source: AlertSource
    channels: Sequence[Channel]
    audit: AuditLog
    config: DispatchConfig
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    worker: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    )

    def tick(self) -> int:
        """One pass: schedule due rounds, send what this dispatcher claims; returns how many were sent."""
        if not self.channels:
            return 0
        now = self.clock()
        by_name = {channel.name: channel for channel in self.channels}
        self.outbox.schedule(self.source.open_alerts(), list(by_name), self.config.repeat, now)
        claimed = self.outbox.claim(self.worker, self.config.lease, now, channels=list(by_name))
        return sum(self._deliver(row, by_name[row.channel]) for row in claimed)

    def run(self, stop: threading.Event) -> None:
        """Tick every `poll_s` until `stop` is set; a failing tick (database down) is logged and retried."""
        while not stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # a background loop has no caller: log, wait, try again
                log.warning("notification dispatch failed: %s: %s", type(exc).__name__, exc)
            stop.wait(self.config.poll_s)

    def start(self) -> Callable[[], None]:
        """Run on a daemon thread; returns the function that stops it (and waits for the current tick)."""
        if not self.channels:
            log.warning(
                "no notification channel is configured (CARECOORD_NOTIFY_WEBHOOK_URL, CARECOORD_SMTP_URL): "
                "emergent and urgent items stay 'not sent'"
            )
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="notify-dispatch", daemon=True)
        thread.start()

        def halt() -> None:
            stop.set()
            thread.join(timeout=30)

        return halt

    # -- one row ---------------------------------------------------------------------------------
    def _deliver(self, row: Notification, channel: Channel) -> int:
        if not self.source.still_open(row.item_id):
            self.outbox.cancel(row, self.worker)
            return 0
        alert = Alert(
            notification_id=row.id,
            item_id=row.item_id,
            level=row.level,
            round=row.round,
            link=f"{self.config.console_url.rstrip('/')}/item?item={row.item_id}",
        )
        tries = 0

        def audited(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            self._audit(row, state.attempt_number, error)

        retrying = Retrying(
            stop=stop_after_attempt(self.config.attempts),
            wait=wait_exponential(multiplier=self.config.retry_wait_s, max=self.config.retry_wait_s * 8),
            retry=retry_if_exception_type(DeliveryError),
            after=audited,
            reraise=True,
        )
        try:
            for attempt in retrying:  # `audited` records each failed try
                with attempt:
                    tries = attempt.retry_state.attempt_number
                    channel.send(alert)
        except DeliveryError as exc:
            self.outbox.failed(row, self.worker, tries, str(exc), self.clock() + self._backoff(row, tries))
            log.warning("notification %s (%s) failed, %d tries: %s", row.id, row.channel, tries, exc)
            return 0
        self._audit(row, tries, None)
        self.outbox.sent(row, self.worker, tries, self.clock())
        self.source.delivered(row.item_id)
        return 1

    def _backoff(self, row: Notification, tries: int) -> timedelta:
        """Doubling with each failed claim of the row, capped: a receiver down for long is polled gently."""
        claims = (row.attempts + tries + self.config.attempts - 1) // self.config.attempts
        delay: timedelta = self.config.backoff * (2 ** max(0, claims - 1))
        return min(delay, self.config.max_backoff)

    def _audit(self, row: Notification, attempt: int, error: BaseException | None) -> None:
        payload = {
            "notification": row.id,
            "channel": row.channel,
            "round": row.round,
            "attempt": row.attempts + attempt,
            "ok": error is None,
            "error": str(error) if error else None,
        }
        subjects = [f"review:{row.item_id}", f"notification:{row.id}"]
        self.audit.append("notify", "notify.attempt", subjects, json.dumps(payload, sort_keys=True))
