"""The soak run's faults: what breaks when, as fractions of the run."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from evals.faults.postgres import PrivatePostgres
from evals.faults.stack import FaultStack

DOWN_S = 5.0
"""How long a restarted server stays down."""


@dataclass(frozen=True)
class Fault:
    """One fault: when (fraction of the run) and what."""

    at: float
    name: str
    inject: Callable[[], None]


@dataclass
class FaultLog:
    """When each fault ran and how long it took (or how it failed)."""

    entries: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        """Record one line."""
        self.entries.append(line)


def kill_a_worker(stack: FaultStack, chooser: random.Random) -> Callable[[], None]:
    """SIGKILL one API worker (the supervisor starts a new one)."""

    def inject() -> None:
        os.kill(chooser.choice(stack.worker_pids()), signal.SIGKILL)

    return inject


def default_faults(stack: FaultStack, postgres: PrivatePostgres, seed: int = 7) -> list[Fault]:
    """Two worker kills and a restart of each server, spread over the run."""
    chooser = random.Random(seed)
    return [
        Fault(0.15, "kill -9 an API worker", kill_a_worker(stack, chooser)),
        Fault(0.30, "restart the FHIR server", lambda: stack.restart_service("sandbox", DOWN_S)),
        Fault(0.45, "restart the Chroma server", lambda: stack.restart_service("chroma", DOWN_S)),
        Fault(0.60, "restart PostgreSQL", lambda: postgres.restart(DOWN_S)),
        Fault(0.75, "kill -9 an API worker", kill_a_worker(stack, chooser)),
    ]


def run_schedule(faults: list[Fault], seconds: float, log: FaultLog) -> threading.Thread:
    """Inject the faults on time in a background thread (started; join it after the run)."""
    started = time.monotonic()

    def loop() -> None:
        for fault in sorted(faults, key=lambda f: f.at):
            time.sleep(max(0.0, started + fault.at * seconds - time.monotonic()))
            began = time.monotonic()
            try:
                fault.inject()
                log.add(f"t={began - started:5.0f}s {fault.name} ({time.monotonic() - began:.1f}s)")
            except Exception as exc:  # a failed injection is reported, and the run goes on
                log.add(f"t={began - started:5.0f}s {fault.name} FAILED: {type(exc).__name__}: {exc}")

    thread = threading.Thread(target=loop, name="faults", daemon=True)
    thread.start()
    return thread
