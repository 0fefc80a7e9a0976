"""Token accounting for Claude calls, so evals can report tokens, cache hits and cost per run."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

from anthropic.types import Usage as ApiUsage

CallKind = Literal["plan", "compose", "judge"]


@dataclass(frozen=True)
class CallUsage:
    """One successful Messages call: what it consumed and how many attempts it took."""

    kind: CallKind
    model: str
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    attempts: int
    ms: float

    @classmethod
    def from_api(cls, kind: CallKind, model: str, usage: ApiUsage, attempts: int, ms: float) -> CallUsage:
        """Copy the API's usage block (cache fields are absent when caching did not apply)."""
        return cls(
            kind=kind,
            model=model,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_creation_input_tokens=usage.cache_creation_input_tokens or 0,
            cache_read_input_tokens=usage.cache_read_input_tokens or 0,
            attempts=attempts,
            ms=ms,
        )


@dataclass
class Usage:
    """Every call a reasoner made, with running totals; safe to share between request threads."""

    calls: list[CallUsage] = field(default_factory=list)
    failures: int = 0
    """Calls that ended in `ReasonerError` (retries exhausted or the request was refused)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, call: CallUsage) -> None:
        """Add one successful call."""
        with self._lock:
            self.calls.append(call)

    def record_failure(self) -> None:
        """Count one call that produced nothing."""
        with self._lock:
            self.failures += 1

    @property
    def input_tokens(self) -> int:
        """Uncached input tokens, all calls."""
        return sum(c.input_tokens for c in self.calls)

    @property
    def output_tokens(self) -> int:
        """Output tokens, all calls."""
        return sum(c.output_tokens for c in self.calls)

    @property
    def cache_creation_input_tokens(self) -> int:
        """Input tokens written to the prompt cache, all calls."""
        return sum(c.cache_creation_input_tokens for c in self.calls)

    @property
    def cache_read_input_tokens(self) -> int:
        """Input tokens served from the prompt cache, all calls."""
        return sum(c.cache_read_input_tokens for c in self.calls)
