"""The wake-up channel's interface, one stream's subscription, and the in-process channel."""

from __future__ import annotations

import asyncio
import threading
from typing import Literal, Protocol

WakeKind = Literal["event", "decision"]
"""What happened: an event was stored for the thread, or a clinician's decision reached its checkpoint."""


class Subscription:
    """One stream's mailbox, on the event loop it was made on; wake-ups may come from any thread."""

    def __init__(self, thread_id: str) -> None:
        self.thread_id = thread_id
        self._loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()
        self._kinds: set[WakeKind] = set()

    def deliver(self, kind: WakeKind) -> None:
        """Wake the stream (thread-safe); a closed loop means the stream is gone."""
        try:
            self._loop.call_soon_threadsafe(self._set, kind)
        except RuntimeError:
            pass

    def _set(self, kind: WakeKind) -> None:
        self._kinds.add(kind)
        self._ready.set()

    async def wait(self, timeout_s: float) -> frozenset[WakeKind]:
        """What arrived since the last wait, waiting up to `timeout_s` for something (empty: timed out)."""
        if not self._ready.is_set():
            try:
                await asyncio.wait_for(self._ready.wait(), timeout=timeout_s)
            except TimeoutError:
                pass
        kinds = frozenset(self._kinds)
        self._kinds.clear()
        self._ready.clear()
        return kinds


class Wakeups(Protocol):
    """Publish a thread's wake-ups; subscribe a stream to them."""

    shared: bool
    """Whether other processes' wake-ups arrive here (a broker), or only this process's."""

    def publish(self, thread_id: str, kind: WakeKind = "event") -> None:
        """Wake every stream of the thread (never raises: a lost wake-up costs one fallback interval)."""
        ...

    def subscribe(self, thread_id: str) -> Subscription:
        """A subscription for the thread (call on the stream's event loop)."""
        ...

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop delivering to `subscription`."""
        ...

    def close(self) -> None:
        """Stop any listener and connection."""
        ...


class LocalWakeups:
    """This process's subscriptions; the shared channels deliver what they receive through it too."""

    shared = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[Subscription]] = {}

    def publish(self, thread_id: str, kind: WakeKind = "event") -> None:
        """Wake this process's streams of the thread."""
        self.deliver(thread_id, kind)

    def deliver(self, thread_id: str, kind: WakeKind) -> None:
        """Hand a wake-up to every subscription of the thread in this process."""
        with self._lock:
            subscribers = list(self._subscribers.get(thread_id, ()))
        for subscription in subscribers:
            subscription.deliver(kind)

    def subscribe(self, thread_id: str) -> Subscription:
        """See `Wakeups.subscribe`."""
        subscription = Subscription(thread_id)
        with self._lock:
            self._subscribers.setdefault(thread_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """See `Wakeups.unsubscribe`."""
        with self._lock:
            subscribers = self._subscribers.get(subscription.thread_id)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[subscription.thread_id]

    def close(self) -> None:
        """Nothing to stop in-process."""
