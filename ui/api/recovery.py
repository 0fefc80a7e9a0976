"""The recovery sweep: every API worker finishes turns whose worker died, without waiting for the patient.

A turn's lock is renewed every few seconds while it runs; one not renewed for `TURN_LEASE` belongs to a
dead worker (a crash, `kill -9`). Every `SWEEP_S` each worker looks for such locks, takes each over with
a compare-and-set (one worker wins), and finishes the turn from its checkpoint, so the escalation it
was about to file is filed within the lease plus a sweep and the turn's own run time.
"""

from __future__ import annotations

import asyncio
import logging

from carecoord.outages import classify
from ui.api.store import TranscriptStore
from ui.api.turns import TurnRunner

log = logging.getLogger("carecoord.api")
SWEEP_S = 5.0
"""How often each worker looks for lapsed turns."""


async def sweep_once(store: TranscriptStore, turns: TurnRunner) -> int:
    """Take over every lapsed turn this worker wins and start finishing it; returns how many."""
    taken = 0
    for thread, held in await asyncio.to_thread(store.lapsed_turns):
        if await asyncio.to_thread(store.take_over_turn, thread.id, held):
            log.info("turn thread=%s lapsed; recovering", thread.id)
            turns.resume(thread)
            taken += 1
    return taken


async def sweep_forever(store: TranscriptStore, turns: TurnRunner, every_s: float = SWEEP_S) -> None:
    """Sweep until cancelled; a sweep that fails because the database is down is retried next time."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await sweep_once(store, turns)
        except Exception as exc:
            if classify(exc) is None:
                log.exception("recovery sweep failed")
            else:
                log.warning("recovery sweep waits for the database: %s", type(exc).__name__)
