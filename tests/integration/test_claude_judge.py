"""The gate's second stage: Claude's entailment judge through the real SDK, against the replay server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.runtime import Runtime
from pydantic import SecretStr

from agent.context import Context
from agent.grounding.judge import Claim, JudgeError
from agent.grounding.verifier import Verifier
from agent.models import AnswerSentence, Citation, ComposedAnswer, Evidence
from agent.nodes.verify import verify
from agent.reasoners.claude_config import ClaudeConfig
from agent.reasoners.claude_judge import ClaudeJudge
from agent.state import TurnState
from tests.fakes.anthropic_replay import AnthropicReplay, Reply, api_error, cassette, overloaded
from tests.fakes.claude_samples import MISSED_DOSE

pytestmark = pytest.mark.integration

API_KEY = "sk-ant-replay-0000"
PROMPTS = Path(__file__).resolve().parents[2] / "agent" / "prompts"
RIGHT = "Do not take two doses at the same time to make up for a missed dose."
NEXT_DAY = "If you miss a dose of apixaban, take it as soon as you remember on the next day."
"""Lexically close to the passage (one content word differs), but it says the opposite of it."""
WRONG_DOSE = "Take 2 tablets at the same time to make up for a missed dose."


@pytest.fixture
def replay() -> Iterator[AnthropicReplay]:
    with AnthropicReplay() as server:
        yield server


def judge_for(replay: AnthropicReplay, attempts: int = 2) -> ClaudeJudge:
    config = ClaudeConfig(
        api_key=SecretStr(API_KEY),
        base_url=replay.base_url,
        model="claude-sonnet-4-5",
        timeout_s=0.5,
        max_retries=attempts,
    )
    return ClaudeJudge.from_config(config, backoff_s=0.01, backoff_max_s=0.05)


def test_one_structured_call_judges_every_sentence_with_the_prompt_cached(replay: AnthropicReplay) -> None:
    replay.enqueue(cassette("judge_missed_dose"))
    judge = judge_for(replay)

    first, second = judge.judge([Claim(RIGHT, (MISSED_DOSE.text,)), Claim(NEXT_DAY, (MISSED_DOSE.text,))])

    assert (first.verdict, first.supported, first.score) == ("entailed", True, 0.94)
    assert (second.verdict, second.supported) == ("contradicted", False)
    assert second.score == pytest.approx(0.12)
    assert second.unsupported == "on the next day" and "same day" in second.reason
    [sent] = replay.received
    body = sent.body
    assert body["model"] == "claude-sonnet-4-5"
    assert body["system"] == [
        {
            "type": "text",
            "text": (PROMPTS / "claude_judge.md").read_text(encoding="utf-8").strip(),
            "cache_control": {"type": "ephemeral"},
        }
    ]
    schema = json.loads((PROMPTS / "claude_judge.schema.json").read_text(encoding="utf-8"))
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert "tools" not in body
    text = body["messages"][0]["content"]
    assert text.count('<passage id="P1">') == 1 and 'id="P2"' not in text  # shared passage sent once
    assert f'<sentence number="1" cites="P1">{RIGHT}</sentence>' in text
    assert f'<sentence number="2" cites="P1">{NEXT_DAY}</sentence>' in text
    [call] = judge.usage.calls
    assert (call.kind, call.cache_creation_input_tokens, call.output_tokens) == ("judge", 1386, 133)


def test_nothing_to_judge_makes_no_call(replay: AnthropicReplay) -> None:
    assert judge_for(replay).judge([]) == []
    assert replay.received == []


def test_a_reply_that_skips_a_sentence_is_unusable(replay: AnthropicReplay) -> None:
    replay.enqueue(cassette("judge_skips_sentence"))
    with pytest.raises(JudgeError, match=r"answered sentences \[1\], expected 1 to 2"):
        judge_for(replay).judge([Claim(RIGHT, (MISSED_DOSE.text,)), Claim(NEXT_DAY, (MISSED_DOSE.text,))])


def test_a_truncated_reply_is_unusable(replay: AnthropicReplay) -> None:
    body = {**cassette("judge_entailed").body, "stop_reason": "max_tokens"}
    replay.enqueue(Reply(body=body))
    with pytest.raises(JudgeError, match="stopped early"):
        judge_for(replay).judge([Claim(RIGHT, (MISSED_DOSE.text,))])


def test_transient_failures_are_retried_then_give_up(replay: AnthropicReplay) -> None:
    replay.enqueue(overloaded(), cassette("judge_entailed"))
    [judged] = judge_for(replay).judge([Claim(RIGHT, (MISSED_DOSE.text,))])
    assert judged.supported and len(replay.received) == 2

    replay.received.clear()
    replay.enqueue(overloaded(), overloaded())
    with pytest.raises(JudgeError, match="judge failed after 2 attempts: 529 overloaded_error"):
        judge_for(replay).judge([Claim(RIGHT, (MISSED_DOSE.text,))])
    assert len(replay.received) == 2


def test_a_refused_request_is_not_retried(replay: AnthropicReplay) -> None:
    replay.enqueue(api_error(400, "invalid_request_error", "output_config.format: invalid schema"))
    with pytest.raises(JudgeError, match="judge request refused: 400 invalid_request_error"):
        judge_for(replay).judge([Claim(RIGHT, (MISSED_DOSE.text,))])
    assert len(replay.received) == 1


# -- in the verify node --------------------------------------------------------------------------
def answer_state(reasoner: str) -> TurnState:
    """Claude's draft: two sentences that pass the offline stage, one wrong dose, one fixed note."""
    citation = Citation(n=1, kind="knowledge", id=MISSED_DOSE.id, title=MISSED_DOSE.title, quote="")
    sentences = (
        AnswerSentence(text=RIGHT, cites=(1,)),
        AnswerSentence(text=NEXT_DAY, cites=(1,)),
        AnswerSentence(text=WRONG_DOSE, cites=(1,)),
        AnswerSentence(text="A nurse will follow up.", procedural=True),
    )
    return TurnState(
        question="I forgot my Eliquis this morning",
        evidence=Evidence(passages=(MISSED_DOSE,)),
        answer=ComposedAnswer(sentences=sentences, citations=(citation,)),
        reasoner=reasoner,
    )


def runtime(judge: ClaudeJudge | None) -> Runtime[Context]:
    # verify reads only the verifier and the judge; the other services are not needed here.
    context = Context(
        record=None,  # type: ignore[arg-type]
        knowledge=None,  # type: ignore[arg-type]
        reasoner=None,  # type: ignore[arg-type]
        screen=None,  # type: ignore[arg-type]
        escalations=None,  # type: ignore[arg-type]
        verifier=Verifier(),
        judge=judge,
        thread_id="t",
    )
    return Runtime(context=context)


def test_verify_sends_only_what_the_offline_stage_passed_and_the_judge_removes(
    replay: AnthropicReplay,
) -> None:
    replay.enqueue(cassette("judge_missed_dose"))
    update = verify(answer_state("claude"), runtime(judge_for(replay)))

    assert [s.text for s in update["answer"].sentences] == [RIGHT, "A nurse will follow up."]
    grounding = update["grounding"]
    assert (grounding.sentences, grounding.supported, grounding.removed) == (3, 1, 2)
    assert (grounding.judged, grounding.judge_removed) == (2, 1)
    [sent] = replay.received
    assert WRONG_DOSE not in sent.body["messages"][0]["content"]  # the offline stage removed it first
    trace = update["trace"]
    assert "verify: judge claude:claude-sonnet-4-5 removed 1/2" in trace
    assert "verify: 1/3 supported" in trace
    assert any(
        line.startswith(f"verify: removed {WRONG_DOSE!r}: not in the cited text: 2 tablets") for line in trace
    )
    assert f"verify: removed {NEXT_DAY!r}: judge: contradicted, " in "\n".join(trace)


def test_verify_judges_only_claudes_prose(replay: AnthropicReplay) -> None:
    update = verify(answer_state("offline"), runtime(judge_for(replay)))
    assert replay.received == []
    assert [s.text for s in update["answer"].sentences] == [RIGHT, NEXT_DAY, "A nurse will follow up."]
    assert update["grounding"].judged == 0


def test_when_the_judge_fails_the_offline_verdicts_stand(replay: AnthropicReplay) -> None:
    replay.enqueue(overloaded(), overloaded())
    update = verify(answer_state("claude"), runtime(judge_for(replay)))
    assert [s.text for s in update["answer"].sentences] == [RIGHT, NEXT_DAY, "A nurse will follow up."]
    assert (update["grounding"].judged, update["grounding"].removed) == (0, 1)
    assert any(
        "verify: judge claude:claude-sonnet-4-5 unavailable (Claude judge failed after 2 attempts" in line
        for line in update["trace"]
    )
