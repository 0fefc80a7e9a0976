"""The Server-Sent Events stream of one thread.

It replays stored events after the client's last id (`Last-Event-ID` on an `EventSource` retry, or
`?after=`), then sleeps until the thread's wake-up channel (`carecoord.wakeups`) says something changed:
an event stored by any worker sharing the channel, or a clinician's decision delivered into the
thread's checkpoint (read, and stored as a `decision` event, only then). A slow fallback read
(`stream_fallback_poll_s`) is the safety net for a lost wake-up; without a shared channel, a thread
waiting for a decision is read about once a second, since another process's decision cannot wake it. A turn whose worker died is finished by
the recovery sweep of any worker (`ui.api.recovery`); the stream shows what that stores like any other
event.

While the database is down the stream stays open and keeps trying; it resumes when the store answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request

from carecoord.outages import classify
from carecoord.wakeups.base import WakeKind, Wakeups
from ui.api.decisions import ThreadStates, awaiting, sync_decisions
from ui.api.events import to_sse
from ui.api.state import ApiState
from ui.api.store import ThreadInfo, TranscriptStore

RETRY_MS = 2000
"""How long an `EventSource` waits before reconnecting."""
KEEPALIVE_S = 15.0
MAX_STREAM_S = 600.0
"""A stream ends after this long; the client reconnects with its last id and loses nothing."""
LOCAL_DECISION_POLL_S = 1.0
"""Without a shared channel, a decision made in another process (the console, the review CLI) cannot wake
a stream: while its thread waits for one, the stream reads the thread this often, as it always did."""


@dataclass(frozen=True)
class Watched:
    """What one look at the thread's decisions found."""

    stored: bool
    """New decisions were stored."""
    waiting: bool
    """An escalation of the thread was still waiting for a decision."""


@dataclass(frozen=True)
class Follow:
    """What a stream reads and waits on (the API's, or a test's)."""

    store: TranscriptStore
    states: ThreadStates
    wakeups: Wakeups
    fallback_s: float
    """Seconds between reads without a wake-up: the safety net for a lost one."""

    @classmethod
    def of(cls, api: ApiState) -> Follow:
        """The API process's stores and channel."""
        return cls(api.store, api.service, api.wakeups, api.settings.stream_fallback_poll_s)

    def watch_turn(self, thread: ThreadInfo) -> Watched:
        """Store new decisions; True when anything new was stored (other workers' streams are woken).

        A dead worker's turn is not ended here: the recovery sweep (`ui.api.recovery`) finishes it from
        its checkpoint, and the stream shows the recovered answer (or `turn_interrupted`) when stored.
        """
        if not awaiting(self.store, thread.id):
            return Watched(stored=False, waiting=False)
        stored = bool(sync_decisions(self.states, self.store, thread))
        if stored:
            self.wakeups.publish(thread.id)
        return Watched(stored=stored, waiting=True)


def thread_events(request: Request, api: ApiState, thread: ThreadInfo, after: int) -> AsyncIterator[str]:
    """SSE frames for `thread`, starting after row id `after`."""
    return follow(Follow.of(api), thread, after, request.is_disconnected)


async def follow(
    deps: Follow, thread: ThreadInfo, after: int, disconnected: Callable[[], Awaitable[bool]]
) -> AsyncIterator[str]:
    """SSE frames for `thread` after row id `after`, until `disconnected()` or `MAX_STREAM_S`."""
    yield f"retry: {RETRY_MS}\n\n"
    subscription = deps.wakeups.subscribe(thread.id)
    started = last_sent = last_sync = time.monotonic()
    woken: frozenset[WakeKind] = frozenset({"decision"})  # a decision may have landed while disconnected
    interval = deps.fallback_s
    try:
        while time.monotonic() - started < MAX_STREAM_S:
            if await disconnected():
                return
            try:
                events = await asyncio.to_thread(deps.store.events, thread.id, after)
                for stored in events:
                    after = stored.id
                    yield to_sse(stored)
                    last_sent = time.monotonic()
                now = time.monotonic()
                if "decision" in woken or now - last_sync >= interval:
                    last_sync = now
                    watched = await asyncio.to_thread(deps.watch_turn, thread)
                    local_wait = watched.waiting and not deps.wakeups.shared
                    interval = min(deps.fallback_s, LOCAL_DECISION_POLL_S) if local_wait else deps.fallback_s
                    if watched.stored:
                        woken = frozenset()
                        continue
            except Exception as exc:
                if classify(exc) is None:
                    raise
                now = time.monotonic()  # the store is down: keep the stream, try again next fallback read
            if now - last_sent >= KEEPALIVE_S:
                yield ": keep-alive\n\n"
                last_sent = now
            woken = await subscription.wait(min(interval, KEEPALIVE_S))
    finally:
        deps.wakeups.unsubscribe(subscription)
