"""Run a reasoner step on the primary reasoner, or on the fallback when the primary fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from agent.context import Context
from agent.reasoners.base import Reasoner, ReasonerError

T = TypeVar("T")


def with_fallback(
    step: str, context: Context, call: Callable[[Reasoner], T], trace: list[str], current: str
) -> tuple[T, str]:
    """Run `call` on the primary reasoner, or on the fallback after a `ReasonerError` (noted in `trace`).

    Returns the result and the turn's reasoner name: `current`, or the fallback's once it took over.
    Once the primary failed, the rest of the turn, and the process's turns until the breaker's cooldown
    ends, use the fallback at once instead of paying the primary's retries again.
    Without a fallback the error propagates.
    """
    primary, fallback, breaker = context.reasoner, context.fallback, context.breaker
    if fallback is not None and fallback.name != primary.name:
        if current == fallback.name:
            trace.append(f"{step}: {fallback.name} ({primary.name} failed earlier this turn)")
            return call(fallback), current
        if breaker is not None and not breaker.allows():
            trace.append(f"{step}: {primary.name} paused after a recent failure; using {fallback.name}")
            return call(fallback), fallback.name
    try:
        return call(primary), current
    except ReasonerError as exc:
        if fallback is None:
            raise
        if breaker is not None:
            breaker.trip()
        trace.append(f"{step}: {primary.name} failed ({exc}); falling back to {fallback.name}")
        return call(fallback), fallback.name
