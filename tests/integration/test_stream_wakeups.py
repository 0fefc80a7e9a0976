"""Issue 16 item 3: streams are pushed to, not polled — a wake-up brings progress and decisions at once.

A stream (`ui.api.stream.follow`) over a real transcript store, with the thread's checkpoint played by a
hand-written fake. The publisher is another worker: the same in-process channel, or a second
Redis / PostgreSQL channel as another process would hold. Before, a stream re-read the store every
second; now it must show what was published well inside that, while its fallback read is 5 s away.
A channel that loses every wake-up still gets everything, on the fallback read.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.models import Decision
from agent.state import TurnState
from agent.transcript import TranscriptLine
from carecoord.db import make_engine
from carecoord.keyring import TranscriptCipher
from carecoord.wakeups.base import LocalWakeups, WakeKind, Wakeups
from carecoord.wakeups.postgres import PostgresWakeups
from carecoord.wakeups.redis import RedisWakeups
from carecoord.wakeups.shared import SharedWakeups
from ui.api.events import EscalationEvent, StatusEvent
from ui.api.store import ThreadInfo, TranscriptStore
from ui.api.stream import LOCAL_DECISION_POLL_S, Follow, follow

pytestmark = pytest.mark.integration

OLD_POLL_S = 1.0
"""How often a stream used to re-read the store."""
PROMPT_S = 0.3
"""What "at once" means here: well under the old poll and far under the fallback."""
FALLBACK_S = 5.0
REDIS = "redis://127.0.0.1:6379/0"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


class Checkpoint:
    """The thread's checkpoint as review leaves it: a care-team line once a clinician has decided."""

    def __init__(self, escalation_id: str) -> None:
        self.escalation_id = escalation_id
        self.lines: list[TranscriptLine] = []

    def decide(self) -> None:
        decision = Decision(escalation_id=self.escalation_id, outcome="approved", clinician="Dr. Lee")
        line = TranscriptLine(
            speaker="care_team", text="Your care team (Dr. Lee) approved", decision=decision
        )
        self.lines = [line]

    def state(self, thread_id: str) -> TurnState:
        return TurnState(transcript=list(self.lines))


class Lossy(LocalWakeups):
    """A channel that loses every wake-up (a broker restart, a dropped connection)."""

    def __init__(self, shared: bool) -> None:
        super().__init__()
        self.shared = shared

    def publish(self, thread_id: str, kind: WakeKind = "event") -> None:
        return None


@pytest.fixture
def store(tmp_path: Path) -> TranscriptStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'stream.sqlite3'}")
    return TranscriptStore(engine, TranscriptCipher({"k": os.urandom(32)}, "k"))


def _pair(kind: str) -> tuple[Wakeups, Wakeups]:
    """(the stream's channel, the publishing worker's channel)."""
    if kind == "local":
        local = LocalWakeups()
        return local, local
    name = f"cc_test_{uuid.uuid4().hex[:10]}"
    if kind == "redis":
        return RedisWakeups(REDIS, channel=name), RedisWakeups(REDIS, channel=name)
    return PostgresWakeups(POSTGRES, channel=name), PostgresWakeups(POSTGRES, channel=name)


@pytest.fixture(params=["local", "redis", "postgres"])
def channels(request: pytest.FixtureRequest) -> Iterator[tuple[Wakeups, Wakeups]]:
    stream_side, worker_side = _pair(request.param)
    yield stream_side, worker_side
    stream_side.close()
    worker_side.close()


def _seconds_until(
    deps: Follow, thread: ThreadInfo, wanted: str, act: Callable[[], None], ready: Callable[[], bool]
) -> float:
    """Open a stream, let it settle into waiting, run `act` on another thread (another process's
    stand-in); seconds from `act` until the stream yields a frame of type `wanted`."""

    async def scenario() -> float:
        frames: asyncio.Queue[str] = asyncio.Queue()

        async def never() -> bool:
            return False

        async def consume() -> None:
            async for frame in follow(deps, thread, 0, never):
                frames.put_nowait(frame)

        task = asyncio.create_task(consume())
        try:
            for _ in range(50):  # the stream has subscribed and read what was stored
                await asyncio.sleep(0.1)
                if ready() and frames.qsize() >= 2:
                    break
            while not frames.empty():
                assert f"event: {wanted}" not in frames.get_nowait()
            await asyncio.sleep(0.2)  # now waiting on its subscription
            acted = time.monotonic()
            await asyncio.to_thread(act)
            while True:
                frame = await asyncio.wait_for(frames.get(), timeout=FALLBACK_S * 3)
                if f"event: {wanted}" in frame:
                    return time.monotonic() - acted
        finally:
            task.cancel()

    return asyncio.run(scenario())


def _listening(channel: Wakeups) -> Callable[[], bool]:
    return lambda: not isinstance(channel, SharedWakeups) or channel.listening.is_set()


def _pending_escalation(store: TranscriptStore) -> tuple[ThreadInfo, Checkpoint]:
    thread = store.open_thread("patient-w")
    store.append(
        thread, EscalationEvent(id="esc-1", level="routine", kind="action_approval", status="pending")
    )
    return thread, Checkpoint("esc-1")


def test_a_decision_from_another_process_reaches_the_stream_at_once(
    store: TranscriptStore, channels: tuple[Wakeups, Wakeups]
) -> None:
    stream_side, worker_side = channels
    thread, checkpoint = _pending_escalation(store)
    deps = Follow(store, checkpoint, stream_side, FALLBACK_S)

    def clinician_decides() -> None:
        checkpoint.decide()
        worker_side.publish(thread.id, "decision")

    seconds = _seconds_until(deps, thread, "decision", clinician_decides, _listening(stream_side))

    assert seconds < PROMPT_S < OLD_POLL_S, f"decision took {seconds:.3f}s"
    stored = [e.event for e in store.events(thread.id) if e.event.type == "decision"]
    assert [(d.escalation_id, d.outcome, d.clinician) for d in stored] == [("esc-1", "approved", "Dr. Lee")]


def test_turn_progress_stored_by_another_worker_reaches_the_stream_at_once(
    store: TranscriptStore, channels: tuple[Wakeups, Wakeups]
) -> None:
    stream_side, worker_side = channels
    thread, checkpoint = _pending_escalation(store)
    deps = Follow(store, checkpoint, stream_side, FALLBACK_S)

    def worker_stores_progress() -> None:
        store.append(thread, StatusEvent(text="Checking your medications…"))
        worker_side.publish(thread.id)

    seconds = _seconds_until(deps, thread, "status", worker_stores_progress, _listening(stream_side))

    assert seconds < PROMPT_S < OLD_POLL_S, f"progress took {seconds:.3f}s"


@pytest.mark.parametrize("wanted", ["decision", "status"])
@pytest.mark.parametrize("shared", [True, False], ids=["shared-channel", "local-channel"])
def test_a_lost_wake_up_is_caught_by_the_fallback_read(
    store: TranscriptStore, wanted: str, shared: bool
) -> None:
    thread, checkpoint = _pending_escalation(store)
    fallback_s = 0.5
    lossy = Lossy(shared)
    deps = Follow(store, checkpoint, lossy, fallback_s)

    def act() -> None:
        if wanted == "decision":
            checkpoint.decide()
            lossy.publish(thread.id, "decision")
        else:
            store.append(thread, StatusEvent(text="Checking your medications…"))
            lossy.publish(thread.id)

    seconds = _seconds_until(deps, thread, wanted, act, lambda: True)

    assert seconds < fallback_s + 0.5, f"{wanted} took {seconds:.3f}s with a fallback of {fallback_s}s"


def test_without_a_shared_channel_a_waiting_thread_still_sees_another_process_decide_within_a_second(
    store: TranscriptStore,
) -> None:
    """The console or the review CLI cannot reach an in-process channel: while the thread waits for a
    decision, the stream reads it about once a second (as before), not only on the 5 s fallback."""
    thread, checkpoint = _pending_escalation(store)
    deps = Follow(store, checkpoint, LocalWakeups(), FALLBACK_S)

    seconds = _seconds_until(deps, thread, "decision", checkpoint.decide, lambda: True)

    assert seconds < LOCAL_DECISION_POLL_S + 0.5 < FALLBACK_S, f"decision took {seconds:.3f}s"


def test_a_closed_stream_stops_being_woken() -> None:
    channel = LocalWakeups()

    async def scenario() -> frozenset[WakeKind]:
        subscription = channel.subscribe("t-1")
        channel.unsubscribe(subscription)
        threading.Thread(target=channel.publish, args=("t-1", "decision")).start()
        return await subscription.wait(0.2)

    assert asyncio.run(scenario()) == frozenset()
