"""The Server-Sent Events stream of one thread.

It replays stored events after the client's last id (`Last-Event-ID` on an `EventSource` retry, or
`?after=`), then follows the store: woken at once by this worker's turns, re-reading every second for
events other workers stored, and reading the checkpoint for clinicians' decisions while an
escalation waits. A turn whose worker died is finished by the recovery sweep of any worker
(`ui.api.recovery`); the stream shows what that stores like any other event.

While the database is down the stream stays open and keeps trying; it resumes when the store answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from starlette.requests import Request

from carecoord.outages import classify
from ui.api.decisions import sync_decisions
from ui.api.events import to_sse
from ui.api.state import ApiState
from ui.api.store import ThreadInfo

RETRY_MS = 2000
"""How long an `EventSource` waits before reconnecting."""
POLL_S = 1.0
KEEPALIVE_S = 15.0
MAX_STREAM_S = 600.0
"""A stream ends after this long; the client reconnects with its last id and loses nothing."""


def _watch_turn(api: ApiState, thread: ThreadInfo) -> bool:
    """Store new decisions; True when anything new was stored.

    A dead worker's turn is not ended here: the recovery sweep (`ui.api.recovery`) finishes it from its
    checkpoint, and the stream shows the recovered answer (or `turn_interrupted`) when it is stored.
    """
    return bool(sync_decisions(api.service, api.store, thread))


async def thread_events(
    request: Request, api: ApiState, thread: ThreadInfo, after: int
) -> AsyncIterator[str]:
    """SSE frames for `thread`, starting after row id `after`."""
    yield f"retry: {RETRY_MS}\n\n"
    wake = api.notifier.subscribe(thread.id)
    started = last_sent = last_sync = time.monotonic()
    try:
        while time.monotonic() - started < MAX_STREAM_S:
            if await request.is_disconnected():
                return
            wake.clear()
            try:
                events = await asyncio.to_thread(api.store.events, thread.id, after)
                for stored in events:
                    after = stored.id
                    yield to_sse(stored)
                    last_sent = time.monotonic()
                now = time.monotonic()
                if now - last_sync >= POLL_S:
                    last_sync = now
                    if await asyncio.to_thread(_watch_turn, api, thread):
                        continue
            except Exception as exc:
                if classify(exc) is None:
                    raise
                now = time.monotonic()  # the store is down: keep the stream, try again next poll
            if now - last_sent >= KEEPALIVE_S:
                yield ": keep-alive\n\n"
                last_sent = now
            try:
                await asyncio.wait_for(wake.wait(), timeout=POLL_S)
            except TimeoutError:
                pass
    finally:
        api.notifier.unsubscribe(thread.id, wake)
