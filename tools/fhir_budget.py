"""A time budget shared by every FHIR call of one turn, retries included.

Per-request timeouts alone do not bound a turn: a frozen EHR answers nothing, so each request waits its
full timeout, tenacity tries again, and the next tool does the same (61 s before the patient heard
"I can't reach your records"). The turn opens a budget (`fhir_budget(10.0)`); `FhirGateway` then sizes
each attempt's timeout to what is left and refuses to start a request, or a retry, once it is spent.

The budget lives in a context variable, so it follows the turn into LangGraph's worker threads (they
run nodes in a copy of the caller's context) and into whatever the turn calls — the review queue's Task
mirror included — while other turns on the same shared gateway keep their own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("carecoord_fhir_deadline", default=None)


@contextmanager
def fhir_budget(seconds: float | None) -> Iterator[None]:
    """Bound every FHIR call made inside the block to `seconds` in all (None: no bound).

    A nested budget never extends an outer one: the earlier deadline wins.
    """
    if seconds is None:
        yield
        return
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_s() -> float | None:
    """Seconds left in the current budget (0 when spent), or None outside any budget."""
    deadline = _deadline.get()
    if deadline is None:
        return None
    return max(0.0, deadline - time.monotonic())
