"""The Messages API behind our own retry policy.

The SDK's retries are switched off (`max_retries=0`) so there is exactly one policy: tenacity,
jittered exponential backoff on the failures that pass (429, 5xx, 529 `overloaded_error`, connection
errors, timeouts), a fixed number of attempts, then `ReasonerError` so the graph falls back to the
offline reasoner. Anything else (a 400, a bad key) fails at once: retrying cannot fix it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import anthropic
from anthropic.types import (
    Message,
    MessageParam,
    OutputConfigParam,
    TextBlockParam,
    ToolChoiceParam,
    ToolParam,
)
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from agent.reasoners.base import ReasonerError
from agent.reasoners.claude_config import ClaudeConfig
from agent.reasoners.claude_usage import CallKind, CallUsage, Usage

TRANSIENT_STATUSES = frozenset({408, 409, 429})
"""Besides every 5xx (529 `overloaded_error` included): statuses the API documents as worth a retry."""


def is_transient(exc: BaseException) -> bool:
    """Whether another attempt may succeed."""
    if isinstance(exc, anthropic.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, anthropic.APIStatusError):
        return exc.status_code in TRANSIENT_STATUSES or exc.status_code >= 500
    return False


def describe(exc: BaseException) -> str:
    """One line for the trace: status and error type, never a stack."""
    if isinstance(exc, anthropic.APITimeoutError):
        return "request timed out"
    if isinstance(exc, anthropic.APIConnectionError):
        return "cannot reach the API"
    if isinstance(exc, anthropic.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        kind = error.get("type", "error") if isinstance(error, dict) else "error"
        return f"{exc.status_code} {kind}"
    return type(exc).__name__


def _retry_after(exc: BaseException | None) -> float:
    """Seconds the server asked us to wait (`retry-after`), 0 when it did not say."""
    if isinstance(exc, anthropic.APIStatusError):
        try:
            return max(0.0, float(exc.response.headers.get("retry-after", "0")))
        except ValueError:
            return 0.0
    return 0.0


class MessagesClient:
    """Sends Messages requests with retries and records the usage of each successful call."""

    def __init__(
        self,
        client: anthropic.Anthropic | None,
        model: str,
        attempts: int,
        usage: Usage,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
    ) -> None:
        self._client = client
        """None when no API key is configured: every call then fails fast into the fallback."""
        self.model = model
        self.attempts = max(1, attempts)
        self.usage = usage
        self._jitter = wait_random_exponential(multiplier=backoff_s, max=backoff_max_s)
        self._backoff_max_s = backoff_max_s

    @classmethod
    def from_config(
        cls,
        config: ClaudeConfig,
        usage: Usage | None = None,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
    ) -> MessagesClient:
        """A client for the configured model; without an API key every call fails fast."""
        key = config.api_key
        sdk = (
            anthropic.Anthropic(
                api_key=key.get_secret_value(),
                base_url=config.base_url,
                max_retries=0,
                timeout=config.timeout_s,
            )
            if key is not None
            else None
        )
        return cls(
            sdk,
            config.model,
            config.max_retries,
            usage or Usage(),
            backoff_s,
            backoff_max_s,
        )

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return min(max(self._jitter(state), _retry_after(exc)), self._backoff_max_s)

    def create(
        self,
        kind: CallKind,
        *,
        system: Sequence[TextBlockParam],
        messages: Sequence[MessageParam],
        max_tokens: int,
        tools: Sequence[ToolParam] | None = None,
        tool_choice: ToolChoiceParam | None = None,
        output_config: OutputConfigParam | None = None,
    ) -> Message:
        """One Messages call (retried on transient failures); `ReasonerError` when it cannot succeed."""
        client = self._client
        if client is None:
            self.usage.record_failure()
            raise ReasonerError("Claude is not configured (ANTHROPIC_API_KEY is not set)")
        started = time.perf_counter()

        def attempt() -> Message:
            return client.messages.create(
                model=self.model,
                max_tokens=max_tokens,
                system=list(system),
                messages=list(messages),
                tools=list(tools) if tools is not None else anthropic.omit,
                tool_choice=tool_choice if tool_choice is not None else anthropic.omit,
                output_config=output_config if output_config is not None else anthropic.omit,
            )

        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            reraise=True,
        )
        try:
            message: Message = retrying(attempt)
        except anthropic.APIError as exc:
            self.usage.record_failure()
            tries = retrying.statistics.get("attempt_number", 1)
            if is_transient(exc):
                raise ReasonerError(f"Claude {kind} failed after {tries} attempts: {describe(exc)}") from exc
            raise ReasonerError(f"Claude {kind} request refused: {describe(exc)}") from exc
        ms = (time.perf_counter() - started) * 1000
        tries = int(retrying.statistics.get("attempt_number", 1))
        self.usage.record(CallUsage.from_api(kind, message.model, message.usage, tries, ms))
        return message
