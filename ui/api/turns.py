"""`TurnRunner`: runs patient turns off the event loop and stores what the stream shows.

`ChatService.run_turn` is synchronous, so each turn runs in a worker thread of a bounded pool; it calls
back as each node of the graph finishes (LangGraph's update stream), and the plan's tools become status
lines the moment the plan is known — no checkpoint is read while the turn runs. The caller holds the thread's turn lock (one turn at a time per thread, across workers);
the runner renews it while the turn runs and releases it when the turn ends, however it ends. If this
process dies mid-turn, the lock lapses and the recovery sweep of any worker (`ui.api.recovery`) takes it
over and finishes the turn from its checkpoint (`ChatService.recover`), filing its escalation without
waiting for the patient; a new message arriving first finishes it the same way before its own turn.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from agent.progress import TurnOutcome, TurnStep
from agent.result import ChatResult
from agent.service import ChatService
from agent.state import TurnState
from carecoord.outages import MESSAGES, classify
from carecoord.wakeups.base import Wakeups
from tools.errors import FhirError, PatientIsolationError
from ui.api.events import AnswerEvent, ErrorEvent, EscalationEvent, StatusEvent, ThreadEvent
from ui.api.metrics import ApiMetrics
from ui.api.status import plan_lines, status_lines
from ui.api.store import INTERRUPTED, LEASE_RENEW_S, ThreadInfo, TranscriptStore

log = logging.getLogger("carecoord.api")
FAILURES = {
    "fhir_unavailable": "Your health record could not be reached just now. Please try again in a minute.",
    "turn_refused": "This request could not be completed safely.",
    "turn_failed": "Something went wrong answering that. Please try again.",
    "database_unavailable": "Your conversation could not be saved just now. Please try again in a minute.",
    "storage_full": MESSAGES["storage_full"],
}
"""What the patient reads when a turn ends in an error, by code."""


class TurnRunner:
    """Starts turns as background tasks on the server's loop; each turn's work runs in `pool`."""

    def __init__(
        self,
        service: ChatService,
        store: TranscriptStore,
        metrics: ApiMetrics,
        wakeups: Wakeups,
        threads: int,
    ) -> None:
        self.service = service
        self.store = store
        self.metrics = metrics
        self.wakeups = wakeups
        self.pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="turn")
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, thread: ThreadInfo, text: str) -> None:
        """Run a turn in the background (the turn lock is already held)."""
        task = asyncio.get_running_loop().create_task(self.run(thread, text))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout_s: float = 30.0) -> None:
        """Let running turns finish (shutdown), then stop the pool."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)
        self.pool.shutdown(wait=False, cancel_futures=True)

    async def _emit(self, thread: ThreadInfo, event: ThreadEvent) -> None:
        await asyncio.to_thread(self.store.append, thread, event)
        self.wakeups.publish(thread.id)

    def resume(self, thread: ThreadInfo) -> None:
        """Finish, in the background, a turn a dead worker left half-done (its lock now held here).

        No escalation waits for the patient's next message: the recovery sweep calls this for every
        lapsed turn, on whichever worker wins its lock.
        """
        task = asyncio.get_running_loop().create_task(self._settle(thread, self._resumed(thread)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, thread: ThreadInfo, text: str) -> None:
        """One turn: status lines, then the answer and any escalation, or an error event."""
        await self._settle(thread, self._turn(thread, text, time.perf_counter()))

    async def _settle(self, thread: ThreadInfo, work: Coroutine[Any, Any, list[ThreadEvent]]) -> None:
        """Hold the turn's lease while `work` runs; store its closing events (or an error) and release."""
        started = time.perf_counter()
        finished = False
        lease = asyncio.create_task(self._hold_lease(thread))
        try:
            closing = await work
        except FhirError as exc:
            closing = self._failed(thread, "fhir_unavailable", started, exc)
        except PatientIsolationError as exc:
            closing = self._failed(thread, "turn_refused", started, exc)
        except Exception as exc:  # a background task has no caller to raise to: the patient must hear back
            closing = self._failed(thread, classify(exc) or "turn_failed", started, exc)
        try:
            await asyncio.to_thread(self.store.finish_turn, thread, closing)
            finished = True
        except Exception as exc:  # the store is down: the lock lapses and a stream reports the turn
            log.warning("turn thread=%s could not be stored: %s", thread.id, type(exc).__name__)
        finally:
            lease.cancel()
            if not finished:
                await self._release(thread)
            self.wakeups.publish(thread.id)

    async def _hold_lease(self, thread: ThreadInfo) -> None:
        """Renew the turn's lock for as long as the turn is this process's business.

        From the start: a turn may wait a while for a pool thread, and must not look dead meanwhile.
        """
        while True:
            await asyncio.sleep(LEASE_RENEW_S)
            await self._renew(thread)

    async def _release(self, thread: ThreadInfo) -> None:
        try:
            await asyncio.to_thread(self.store.end_turn, thread.id)
        except Exception as exc:  # same: the lapsing lease releases it
            log.warning("turn thread=%s lock not released: %s", thread.id, type(exc).__name__)

    async def _renew(self, thread: ThreadInfo) -> None:
        try:
            await asyncio.to_thread(self.store.renew_turn, thread.id)
        except Exception as exc:  # a missed renewal only matters if the store stays down a whole lease
            log.warning("turn thread=%s lease not renewed: %s", thread.id, type(exc).__name__)

    def _closing(self, result: ChatResult, state: TurnState, recovered: bool = False) -> list[ThreadEvent]:
        """The answer and any escalation a finished turn adds to the transcript."""
        closing: list[ThreadEvent] = [AnswerEvent(**result.model_dump(), recovered=recovered)]
        if result.escalation is not None:
            filed = state.escalation
            summary = filed.summary if filed is not None and filed.id == result.escalation.id else ""
            closing.append(EscalationEvent(**result.escalation.model_dump(), summary=summary))
        return closing

    async def _resumed(self, thread: ThreadInfo) -> list[ThreadEvent]:
        """The closing events of a recovered turn: its answer and escalation, or `turn_interrupted`.

        `turn_interrupted` when there was nothing to finish (the worker died before the first checkpoint).
        """
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self.pool, self.service.recover, thread.patient_id, thread.id)
        if result is None:
            return [INTERRUPTED]
        state = await asyncio.to_thread(self.service.state, thread.id)
        log.info("turn thread=%s recovered from its checkpoint worker=%d swept", thread.id, os.getpid())
        return self._closing(result, state, recovered=True)

    async def _recover(self, thread: ThreadInfo) -> None:
        """Finish and store a turn a dead worker left half-done, before the new message's turn."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self.pool, self.service.recover, thread.patient_id, thread.id)
        if result is None:
            return
        state = await asyncio.to_thread(self.service.state, thread.id)  # rare: only after a dead worker
        for event in self._closing(result, state, recovered=True):
            await self._emit(thread, event)
        log.info("turn thread=%s recovered from its checkpoint worker=%d", thread.id, os.getpid())

    async def _turn(self, thread: ThreadInfo, text: str, started: float) -> list[ThreadEvent]:
        """Run the turn, streaming status lines; returns the closing events (answer, escalation)."""
        loop = asyncio.get_running_loop()
        log.info("turn start thread=%s worker=%d", thread.id, os.getpid())
        await self._recover(thread)
        await self._emit(thread, StatusEvent(text=status_lines().reading))
        steps: asyncio.Queue[TurnStep] = asyncio.Queue()

        def on_step(step: TurnStep) -> None:  # called on the pool's thread
            loop.call_soon_threadsafe(steps.put_nowait, step)

        run = partial(self.service.run_turn, thread.patient_id, text, thread.id, on_step)
        turn: asyncio.Future[TurnOutcome] = loop.run_in_executor(self.pool, run)
        said: list[str] = []
        while not turn.done() or not steps.empty():
            step = asyncio.ensure_future(steps.get())
            waiting: set[asyncio.Future[TurnOutcome] | asyncio.Future[TurnStep]] = {turn, step}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if not step.done():
                step.cancel()
                continue
            await self._report_progress(thread, step.result(), said)
        outcome = turn.result()
        result, state = outcome.result, outcome.state
        if result.escalation is not None:
            await self._emit(thread, StatusEvent(text=status_lines().escalation))
        closing = self._closing(result, state)
        seconds = time.perf_counter() - started
        self.metrics.observe(result, seconds)
        log.info(
            "turn thread=%s patient=%s ms=%.0f tools=%d escalation=%s",
            thread.id,
            thread.patient_id,
            seconds * 1000,
            len(result.tools),
            result.escalation.level if result.escalation else "-",
        )
        return closing

    async def _report_progress(self, thread: ThreadInfo, step: TurnStep, said: list[str]) -> None:
        """Status lines for what the plan will do (skipped while the store is down)."""
        if step.plan is None:
            return
        try:
            for line in plan_lines(step.plan):
                if line not in said:
                    said.append(line)
                    await self._emit(thread, StatusEvent(text=line))
        except Exception as exc:  # progress is optional; the turn itself reports real failures
            if classify(exc) is None:
                raise
            log.warning("turn thread=%s progress unavailable: %s", thread.id, type(exc).__name__)

    def _failed(self, thread: ThreadInfo, code: str, started: float, exc: Exception) -> list[ThreadEvent]:
        seconds = time.perf_counter() - started
        self.metrics.failed(code, seconds)
        log.warning(
            "turn thread=%s failed code=%s error=%s ms=%.0f",
            thread.id,
            code,
            type(exc).__name__,
            seconds * 1000,
        )
        return [ErrorEvent(code=code, message=FAILURES[code])]
