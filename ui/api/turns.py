"""`TurnRunner`: runs patient turns off the event loop and stores what the stream shows.

`ChatService.turn` is synchronous, so each turn runs in a worker thread of a bounded pool; while it
runs, the thread's checkpoint is read every few hundred milliseconds to turn the plan's tools into
status lines. The caller holds the thread's turn lock (one turn at a time per thread, across workers);
the runner renews it while the turn runs and releases it when the turn ends, however it ends. If this
process dies mid-turn, the lock lapses, a stream tells the patient, and the next message first
finishes the interrupted turn from its checkpoint (`ChatService.recover`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

from agent.result import ChatResult
from agent.service import ChatService
from agent.state import TurnState
from carecoord.outages import MESSAGES, classify
from tools.errors import FhirError, PatientIsolationError
from ui.api.events import AnswerEvent, ErrorEvent, EscalationEvent, StatusEvent, ThreadEvent
from ui.api.metrics import ApiMetrics
from ui.api.notify import Notifier
from ui.api.status import progress, status_lines
from ui.api.store import LEASE_RENEW_S, ThreadInfo, TranscriptStore

log = logging.getLogger("carecoord.api")
PROGRESS_POLL_S = 0.25
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
        notifier: Notifier,
        threads: int,
    ) -> None:
        self.service = service
        self.store = store
        self.metrics = metrics
        self.notifier = notifier
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
        self.notifier.poke(thread.id)

    async def run(self, thread: ThreadInfo, text: str) -> None:
        """One turn: status lines, then the answer and any escalation, or an error event."""
        started = time.perf_counter()
        finished = False
        lease = asyncio.create_task(self._hold_lease(thread))
        try:
            closing = await self._turn(thread, text, started)
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
            self.notifier.poke(thread.id)

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

    async def _recover(self, thread: ThreadInfo) -> None:
        """Finish and store a turn a dead worker left half-done, before the new message's turn."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self.pool, self.service.recover, thread.patient_id, thread.id)
        if result is None:
            return
        state = await asyncio.to_thread(self.service.state, thread.id)
        for event in self._closing(result, state, recovered=True):
            await self._emit(thread, event)
        log.info("turn thread=%s recovered from its checkpoint worker=%d", thread.id, os.getpid())

    async def _turn(self, thread: ThreadInfo, text: str, started: float) -> list[ThreadEvent]:
        """Run the turn, streaming status lines; returns the closing events (answer, escalation)."""
        loop = asyncio.get_running_loop()
        said: list[str] = []
        log.info("turn start thread=%s worker=%d", thread.id, os.getpid())
        await self._recover(thread)
        await self._emit(thread, StatusEvent(text=status_lines().reading))
        turn = loop.run_in_executor(self.pool, self.service.turn, thread.patient_id, text, thread.id)
        while not turn.done():
            await asyncio.wait({turn}, timeout=PROGRESS_POLL_S)
            if not turn.done():
                await self._report_progress(thread, text, said)
        result = turn.result()
        state = await asyncio.to_thread(self.service.state, thread.id)
        lines = [line for line in progress(state, text) if line not in said]
        if result.escalation is not None:
            lines.append(status_lines().escalation)
        for line in lines:  # what a fast turn did before anyone could watch it
            await self._emit(thread, StatusEvent(text=line))
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

    async def _report_progress(self, thread: ThreadInfo, text: str, said: list[str]) -> None:
        """Status lines for the tools the turn has run so far (skipped while the store is down)."""
        try:
            state = await asyncio.to_thread(self.service.state, thread.id)
            for line in progress(state, text):
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
