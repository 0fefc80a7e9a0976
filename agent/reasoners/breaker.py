"""A circuit breaker for the primary reasoner: after it fails, turns skip it for a cooldown.

When Claude is overloaded or unreachable, every call costs its retries and timeouts before the
offline fallback answers. Once one call has failed, the next turns in this process go straight to the
fallback until the cooldown ends; then one turn tries Claude again. Per process on purpose: it is an
optimisation, not state another worker needs.
"""

from __future__ import annotations

import threading
import time


class CircuitBreaker:
    """Open for `cooldown_s` after a failure; closed (the primary is tried) otherwise."""

    def __init__(self, cooldown_s: float) -> None:
        self.cooldown_s = cooldown_s
        self._open_until = 0.0
        self._lock = threading.Lock()

    def allows(self) -> bool:
        """Whether the primary reasoner may be tried now."""
        with self._lock:
            return time.monotonic() >= self._open_until

    def trip(self) -> None:
        """The primary just failed: skip it for the cooldown."""
        with self._lock:
            self._open_until = time.monotonic() + self.cooldown_s
