"""A wake-up channel shared by processes: this process's streams at once, the others through a broker.

The broker (Redis pub/sub or PostgreSQL NOTIFY) carries `kind origin thread_id`; a listener thread hands
what other processes publish to this process's subscriptions. A broker that is down loses wake-ups only:
streams still see everything on their fallback read, and the listener reconnects.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

from carecoord.wakeups.base import LocalWakeups, Subscription, WakeKind

log = logging.getLogger("carecoord.wakeups")
RECONNECT_S = 1.0
"""Pause before the listener reconnects to a broker that failed."""
Receive = Callable[[str], None]


def encode(origin: str, thread_id: str, kind: WakeKind) -> str:
    """The message the broker carries."""
    return f"{kind} {origin} {thread_id}"


def decode(payload: str) -> tuple[str, str, WakeKind] | None:
    """`(origin, thread_id, kind)` from a broker message, or None for anything else."""
    kind, _, rest = payload.partition(" ")
    origin, _, thread_id = rest.partition(" ")
    if not origin or not thread_id:
        return None
    if kind == "event":
        return origin, thread_id, "event"
    if kind == "decision":
        return origin, thread_id, "decision"
    return None


class SharedWakeups:
    """Local delivery plus a broker; subclasses say how to send and how to listen."""

    name = "shared"
    shared = True

    def __init__(self) -> None:
        self.local = LocalWakeups()
        self.origin = uuid.uuid4().hex[:12]
        """Marks this process's own messages, which it already delivered locally."""
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self.listening = threading.Event()
        """Set while the listener is subscribed: what other processes publish from then on arrives."""

    # -- what a broker implements ---------------------------------------------------------------
    def _send(self, payload: str) -> None:
        raise NotImplementedError

    def _listen(self, stop: threading.Event, receive: Receive) -> None:
        """Set `listening` once subscribed, then receive until `stop` is set; raise on a broker failure."""
        raise NotImplementedError

    def _failures(self) -> tuple[type[Exception], ...]:
        """The broker's own errors: logged and retried, never raised to a publisher or a stream."""
        raise NotImplementedError

    # -- Wakeups ---------------------------------------------------------------------------------
    def publish(self, thread_id: str, kind: WakeKind = "event") -> None:
        """See `Wakeups.publish`."""
        self.local.deliver(thread_id, kind)
        try:
            self._send(encode(self.origin, thread_id, kind))
        except self._failures() as exc:
            log.warning("wake-up for thread=%s not sent (%s): %s", thread_id, self.name, type(exc).__name__)

    def subscribe(self, thread_id: str) -> Subscription:
        """See `Wakeups.subscribe`; starts the listener on first use."""
        with self._start_lock:
            if self._listener is None and not self._stop.is_set():
                self._listener = threading.Thread(target=self._run, name=f"wakeups-{self.name}", daemon=True)
                self._listener.start()
        return self.local.subscribe(thread_id)

    def unsubscribe(self, subscription: Subscription) -> None:
        """See `Wakeups.unsubscribe`."""
        self.local.unsubscribe(subscription)

    def close(self) -> None:
        """Stop the listener (it notices within a second)."""
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=3)

    def _receive(self, payload: str) -> None:
        decoded = decode(payload)
        if decoded is None:
            return
        origin, thread_id, kind = decoded
        if origin != self.origin:
            self.local.deliver(thread_id, kind)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen(self._stop, self._receive)
            except self._failures() as exc:
                self.listening.clear()
                log.warning("wake-up listener (%s) reconnecting: %s", self.name, type(exc).__name__)
                self._stop.wait(RECONNECT_S)
