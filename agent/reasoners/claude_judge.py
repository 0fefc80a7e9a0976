"""Claude as the gate's second stage: one structured-output call judges every sentence of an answer.

The instructions (`prompts/claude_judge.md`) are a cached system block, so an answer's judgement pays
for them once per cache lifetime; the reply is constrained to `prompts/claude_judge.schema.json`
(structured outputs), so it parses or the call failed. Distinct passages are sent once and numbered,
and each sentence names the passages it cites: an answer's sentences usually share their sources.
Any failure (retries exhausted, refusal, truncation, a reply that skips a sentence) is a `JudgeError`,
and the offline verdict stands for that answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

from anthropic.types import Message, OutputConfigParam, TextBlock
from pydantic import BaseModel, ConfigDict, ValidationError

from agent.grounding.judge import Claim, JudgeError, Judgement, JudgeVerdict
from agent.reasoners.base import ReasonerError
from agent.reasoners.claude import system_prompt
from agent.reasoners.claude_client import MessagesClient
from agent.reasoners.claude_config import ClaudeConfig
from agent.reasoners.claude_usage import Usage

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "prompts" / "claude_judge.schema.json"
BASE_MAX_TOKENS = 300
PER_SENTENCE_MAX_TOKENS = 200
MAX_TOKENS = 4096


@lru_cache(maxsize=1)
def output_format() -> OutputConfigParam:
    """The reply's JSON schema as the Messages API's `output_config`."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return {"format": {"type": "json_schema", "schema": schema}}


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sentence: int
    verdict: JudgeVerdict
    confidence: float
    unsupported: str
    reason: str


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    judgements: list[_Item]


class ClaudeJudge:
    """`EntailmentJudge` over the Messages API."""

    def __init__(self, client: MessagesClient) -> None:
        self.client = client

    @classmethod
    def from_config(
        cls,
        config: ClaudeConfig,
        usage: Usage | None = None,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
    ) -> ClaudeJudge:
        """A judge on the configured model; pass the reasoner's `usage` to count its tokens with the turn's."""
        return cls(MessagesClient.from_config(config, usage, backoff_s, backoff_max_s))

    @property
    def usage(self) -> Usage:
        """Tokens and attempts of every judge call (shared with the reasoner when built so)."""
        return self.client.usage

    @property
    def name(self) -> str:
        """`claude:<model>`."""
        return f"claude:{self.client.model}"

    def judge(self, claims: Sequence[Claim]) -> list[Judgement]:
        """One call for all `claims`; a judgement for each, in order."""
        if not claims:
            return []
        try:
            message = self.client.create(
                "judge",
                system=system_prompt("claude_judge"),
                messages=[{"role": "user", "content": judge_message(claims)}],
                max_tokens=min(MAX_TOKENS, BASE_MAX_TOKENS + PER_SENTENCE_MAX_TOKENS * len(claims)),
                output_config=output_format(),
            )
        except ReasonerError as exc:
            raise JudgeError(str(exc)) from exc
        return judgements_from(message, len(claims))


def judge_message(claims: Sequence[Claim]) -> str:
    """The passages (each once, numbered P1, P2, ...), then the numbered sentences naming what they cite."""
    numbers: dict[str, int] = {}
    for claim in claims:
        for passage in claim.passages:
            numbers.setdefault(passage, len(numbers) + 1)
    passages = "\n".join(
        f'<passage id="P{n}">\n{escape(text, quote=False)}\n</passage>' for text, n in numbers.items()
    )
    sentences = "\n".join(
        f'<sentence number="{i}" cites="{" ".join(f"P{numbers[p]}" for p in claim.passages)}">'
        f"{escape(claim.sentence, quote=False)}</sentence>"
        for i, claim in enumerate(claims, start=1)
    )
    return (
        f"<passages>\n{passages}\n</passages>\n\n<sentences>\n{sentences}\n</sentences>\n\n"
        f"Judge each of the {len(claims)} sentences against the passages it cites."
    )


def judgements_from(message: Message, expected: int) -> list[Judgement]:
    """The reply's judgements in sentence order; `JudgeError` unless there is exactly one per sentence."""
    if message.stop_reason in ("max_tokens", "refusal"):
        raise JudgeError(f"Claude judge stopped early ({message.stop_reason})")
    text = "".join(block.text for block in message.content if isinstance(block, TextBlock))
    try:
        reply = _Reply.model_validate_json(text)
    except ValidationError as exc:
        raise JudgeError(f"Claude judge reply does not match its schema: {exc.errors()[0]['msg']}") from exc
    by_number = {item.sentence: item for item in reply.judgements}
    if sorted(by_number) != list(range(1, expected + 1)) or len(reply.judgements) != expected:
        raise JudgeError(
            f"Claude judge answered sentences {sorted(by_number)}, expected 1 to {expected}, once each"
        )
    return [
        Judgement(
            verdict=item.verdict,
            confidence=item.confidence,
            unsupported=item.unsupported,
            reason=item.reason,
        )
        for item in (by_number[n] for n in range(1, expected + 1))
    ]
