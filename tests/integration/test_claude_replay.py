"""The Claude reasoner through the real `anthropic` SDK, against the local Messages-API replay server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest

from agent.models import DraftTool, Evidence, Plan, ReadTool, ToolRequest
from agent.reasoners.base import ComposeRequest, PlanRequest, ReasonerError
from agent.reasoners.breaker import CircuitBreaker
from agent.reasoners.claude import ClaudeReasoner
from agent.responses import responses
from agent.service import ChatService
from carecoord.settings import Settings
from carecoord.wiring import claude_config, index_config
from tests.fakes.anthropic_replay import (
    AnthropicReplay,
    api_error,
    cassette,
    hang,
    overloaded,
    rate_limited,
    server_error,
)
from tests.fakes.claude_samples import (
    APIXABAN_FACT,
    BLEEDING,
    MISSED_DOSE,
    MISSED_DOSE_EVIDENCE,
    MISSED_DOSE_PLAN,
    REFILL_DRAFT,
    REFILL_EVIDENCE,
    REFILL_PLAN,
)

pytestmark = pytest.mark.integration

API_KEY = "sk-ant-replay-0000"
QUESTION = "I forgot my Eliquis this morning, what should I do?"


@pytest.fixture
def replay() -> Iterator[AnthropicReplay]:
    with AnthropicReplay() as server:
        yield server


def reasoner_for(replay: AnthropicReplay, attempts: int = 3, timeout_s: float = 0.5) -> ClaudeReasoner:
    settings = Settings(
        anthropic_api_key=API_KEY,
        anthropic_base_url=replay.base_url,
        claude_model="claude-sonnet-4-5",
        claude_timeout_s=timeout_s,
        claude_max_retries=attempts,
    )
    return ClaudeReasoner.from_config(claude_config(settings), backoff_s=0.01, backoff_max_s=0.05)


# -- plan --------------------------------------------------------------------------------------
def test_plan_sends_cached_tools_and_turns_tool_use_into_a_plan(replay: AnthropicReplay) -> None:
    replay.enqueue(cassette("plan_missed_dose"))
    reasoner = reasoner_for(replay)

    plan = reasoner.plan(PlanRequest(question=QUESTION))

    assert plan.intent == "missed_dose" and plan.reasoner == "claude"
    assert plan.tools == (ToolRequest(tool="active_medications", args={"medication": "Eliquis"}),)
    assert (plan.needs_guidance, plan.guidance_query) == (True, "missed dose of apixaban what to do")
    [sent] = replay.received
    # The key travels as `x-api-key` or (SDK 2.x) as a bearer token, depending on the SDK version.
    assert API_KEY in (
        sent.headers.get("x-api-key"),
        sent.headers.get("authorization", "").removeprefix("Bearer "),
    )
    body = sent.body
    assert body["model"] == "claude-sonnet-4-5"
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "You plan one turn of CareCoord" in body["system"][0]["text"]
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["tool_choice"] == {"type": "any"}
    assert {t["name"] for t in body["tools"]} == {*get_args(ReadTool), *get_args(DraftTool), "set_intent"}
    for tool in body["tools"]:
        assert not any("patient" in name for name in tool["input_schema"]["properties"]), tool["name"]
    assert QUESTION in body["messages"][0]["content"]


def test_plan_arguments_arrive_as_strings(replay: AnthropicReplay) -> None:
    replay.enqueue(cassette("plan_lab_result"))
    plan = reasoner_for(replay).plan(
        PlanRequest(question="what was my last a1c, and when do I see the doctor")
    )
    assert plan.tools == (
        ToolRequest(tool="observations", args={"code": "4548-4"}),
        ToolRequest(tool="upcoming_appointments", args={"limit": "2"}),
    )


def test_a_reply_without_set_intent_is_a_reasoner_error(replay: AnthropicReplay) -> None:
    replay.enqueue(cassette("plan_without_intent"))
    with pytest.raises(ReasonerError, match="set_intent 0 times"):
        reasoner_for(replay).plan(PlanRequest(question="meds"))


# -- compose -----------------------------------------------------------------------------------
def test_compose_maps_native_citations_to_numbered_sources(replay: AnthropicReplay) -> None:
    replay.enqueue(cassette("compose_missed_dose"))
    reasoner = reasoner_for(replay)
    request = ComposeRequest(question=QUESTION, plan=MISSED_DOSE_PLAN, evidence=MISSED_DOSE_EVIDENCE)

    answer = reasoner.compose(request)

    assert [(s.text, s.cites, s.procedural) for s in answer.sentences] == [
        (
            "According to your medication list, you take apixaban 5 MG Oral Tablet, 1 tablet by mouth twice a day.",
            (1,),
            False,
        ),
        (
            "If you miss a dose, take it as soon as you remember on the same day, then go back to your normal schedule.",
            (2,),
            False,
        ),
        ("Do not take two doses at the same time to make up for a missed dose.", (2,), False),
        ("Taking two at once does not help.", (2,), False),
        ("Call the clinic if you notice unusual bruising or bleeding gums.", (3,), False),
        ("Most people do fine after missing one dose.", (), False),  # uncited: the verifier's to remove
    ]
    assert [(c.n, c.kind, c.id) for c in answer.citations] == [
        (1, "fhir", "MedicationRequest/mr-apixaban"),
        (2, "knowledge", MISSED_DOSE.id),
        (3, "knowledge", BLEEDING.id),
    ]
    assert answer.citations[0].quote == APIXABAN_FACT.text
    assert answer.citations[1].quote == (
        "If you miss a dose of apixaban, take it as soon as you remember on the same day. "
        "Then go back to your normal schedule."
    )
    assert answer.substantive

    body = replay.received[0].body
    assert "tools" not in body
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    content = body["messages"][0]["content"]
    assert [b["type"] for b in content] == ["document", "search_result", "search_result", "text"]
    assert all(b["citations"] == {"enabled": True} for b in content[:3])
    assert content[0]["source"]["data"] == APIXABAN_FACT.text
    assert [b["source"] for b in content[1:3]] == [MISSED_DOSE.id, BLEEDING.id]
    assert len(content[1]["content"]) == 3  # one citable block per sentence
    assert QUESTION in content[3]["text"]


def test_compose_puts_notes_first_and_tells_the_model_what_awaits_review(replay: AnthropicReplay) -> None:
    replay.enqueue(cassette("compose_refill"))
    request = ComposeRequest(
        question="please refill my metformin",
        plan=REFILL_PLAN,
        evidence=REFILL_EVIDENCE,
        notes=("action_sent",),
    )

    answer = reasoner_for(replay).compose(request)

    assert [(s.text, s.cites, s.procedural) for s in answer.sentences] == [
        (responses().action_sent, (), True),
        (
            "Your prescription for metformin hydrochloride 500 MG Oral Tablet has 2 refills on record "
            "and is valid until March 1, 2027.",
            (1,),
            False,
        ),
    ]
    prompt = replay.received[0].body["messages"][0]["content"][-1]["text"]
    assert REFILL_DRAFT.summary in prompt and "NOT done yet" in prompt
    assert responses().action_sent in prompt


def test_nothing_citable_means_no_call(replay: AnthropicReplay) -> None:
    request = ComposeRequest(
        question="hi!", plan=Plan(intent="greeting", confidence=0.9, reasoner="claude"), evidence=Evidence()
    )
    answer = reasoner_for(replay).compose(request)
    assert [s.text for s in answer.sentences] == [responses().greeting]
    assert replay.received == []


# -- failures and retries ----------------------------------------------------------------------
@pytest.mark.parametrize("failure", [overloaded, rate_limited, server_error])
def test_a_passing_failure_is_retried_once_then_succeeds(replay: AnthropicReplay, failure: object) -> None:
    assert callable(failure)
    replay.enqueue(failure(), cassette("plan_refill"))
    reasoner = reasoner_for(replay)

    plan = reasoner.plan(PlanRequest(question="refill my metformin please"))

    assert plan.tools == (ToolRequest(tool="draft_refill", args={"medication": "metformin"}),)
    assert len(replay.received) == 2 and replay.pending == 0
    assert replay.received[0].body == replay.received[1].body
    assert [c.attempts for c in reasoner.usage.calls] == [2]


def test_repeated_rate_limits_give_up_after_the_configured_attempts(replay: AnthropicReplay) -> None:
    replay.enqueue(*(rate_limited() for _ in range(5)))
    reasoner = reasoner_for(replay, attempts=3)

    with pytest.raises(ReasonerError, match=r"after 3 attempts: 429 rate_limit_error"):
        reasoner.plan(PlanRequest(question="refill my metformin please"))

    assert len(replay.received) == 3 and replay.pending == 2
    assert (reasoner.usage.calls, reasoner.usage.failures) == ([], 1)


def test_a_hung_api_times_out_into_a_reasoner_error(replay: AnthropicReplay) -> None:
    replay.enqueue(hang(10), hang(10))
    reasoner = reasoner_for(replay, attempts=2, timeout_s=0.5)
    started = time.monotonic()

    with pytest.raises(ReasonerError, match="after 2 attempts: request timed out"):
        reasoner.compose(
            ComposeRequest(question=QUESTION, plan=MISSED_DOSE_PLAN, evidence=MISSED_DOSE_EVIDENCE)
        )

    assert time.monotonic() - started < 3.0
    assert len(replay.received) == 2


def test_a_refused_request_is_not_retried(replay: AnthropicReplay) -> None:
    replay.enqueue(api_error(400, "invalid_request_error", "messages: text content blocks must be non-empty"))
    reasoner = reasoner_for(replay)
    with pytest.raises(ReasonerError, match="refused: 400 invalid_request_error"):
        reasoner.plan(PlanRequest(question="hello"))
    assert len(replay.received) == 1


def test_usage_adds_up_tokens_across_calls(replay: AnthropicReplay) -> None:
    replay.enqueue(cassette("plan_missed_dose"), cassette("compose_missed_dose"))
    reasoner = reasoner_for(replay)
    plan = reasoner.plan(PlanRequest(question=QUESTION))
    reasoner.compose(ComposeRequest(question=QUESTION, plan=plan, evidence=MISSED_DOSE_EVIDENCE))
    usage = reasoner.usage
    assert [c.kind for c in usage.calls] == ["plan", "compose"]
    assert (usage.input_tokens, usage.output_tokens) == (164 + 1342, 118 + 187)
    assert (usage.cache_creation_input_tokens, usage.cache_read_input_tokens) == (2087 + 412, 0)
    assert all(c.model == "claude-sonnet-4-5-20250929" and c.ms > 0 for c in usage.calls)
    json.dumps([c.__dict__ for c in usage.calls])  # plain data an eval report can serialise


# -- in the graph ------------------------------------------------------------------------------
def chat_over_failing_claude(
    replay: AnthropicReplay, tmp_path: Path, breaker: CircuitBreaker | None = None
) -> ChatService:
    """A `ChatService` whose Claude is the replay server (2 attempts per call), offline as fallback."""
    from langgraph.checkpoint.memory import InMemorySaver

    from agent.grounding.verifier import Verifier
    from agent.intents import IntentClassifier
    from agent.policy import Policy, SafetyScreen
    from agent.reasoners.offline import OfflineReasoner
    from agent.service import AgentServices
    from carecoord.db import make_engine
    from carecoord.review.queue import ReviewQueue
    from knowledge.embedder import load_embedder
    from knowledge.index import KnowledgeIndex
    from knowledge.retriever import HybridRetriever
    from knowledge.vector_cache import CachedEmbedder
    from tests.fixtures.agent import VECTOR_CACHE, session_keyring
    from tools.fhir import FhirGateway

    settings = Settings(
        data_dir=tmp_path,
        anthropic_api_key=API_KEY,
        anthropic_base_url=replay.base_url,
        claude_timeout_s=0.5,
        claude_max_retries=2,
    )
    embedder = load_embedder()
    cached = CachedEmbedder(embedder, VECTOR_CACHE)  # exemplar vectors from earlier runs: seconds, not tens
    services = AgentServices(
        embedder=embedder,
        screen=SafetyScreen(Policy.load(), cached),
        reasoner=ClaudeReasoner.from_config(claude_config(settings), backoff_s=0.01, backoff_max_s=0.05),
        fallback=OfflineReasoner(IntentClassifier(cached), cached),
        retriever=HybridRetriever(KnowledgeIndex.open(index_config(settings), embedder), embedder),
        verifier=Verifier(),
        escalations=ReviewQueue(make_engine(settings.sqlalchemy_url, session_keyring())),
        gateway=FhirGateway("http://127.0.0.1:9/fhir", timeout_s=0.5, attempts=1),  # a greeting reads nothing
        breaker=breaker,
    )
    return ChatService(services, InMemorySaver())


@pytest.mark.slow
def test_a_failing_claude_falls_back_to_offline_and_the_trace_says_so(
    replay: AnthropicReplay, tmp_path: Path
) -> None:
    """Whole turn through `ChatService`; slow only because the offline parts embed their exemplars."""
    replay.enqueue(overloaded(), overloaded())
    chat = chat_over_failing_claude(replay, tmp_path)

    result = chat.turn("p-001", "hello!")

    assert result.reasoner == "offline"
    assert result.answer == responses().greeting
    trace = chat.state(result.thread_id).trace
    assert (
        "plan: claude failed (Claude plan failed after 2 attempts: 529 overloaded_error); falling back to offline"
        in trace
    )
    assert "compose: offline (claude failed earlier this turn)" in trace
    assert len(replay.received) == 2


COOLDOWN_S = 4.0


@pytest.mark.slow
def test_after_a_failure_claude_is_paused_for_the_cooldown_then_tried_again(
    replay: AnthropicReplay, tmp_path: Path
) -> None:
    """The breaker: turns right after a failure go offline at once, and Claude is retried later."""
    replay.enqueue(*[overloaded()] * 6)
    breaker = CircuitBreaker(cooldown_s=COOLDOWN_S)
    chat = chat_over_failing_claude(replay, tmp_path, breaker)
    chat.turn("p-001", "warm up the offline parts")  # a first turn embeds exemplars: slow, and not timed
    while not breaker.allows():
        time.sleep(0.1)
    replay.received.clear()

    first = chat.turn("p-001", "hello!")
    tripped = time.monotonic()
    assert len(replay.received) == 2
    second = chat.turn("p-001", "hello again!")
    assert second.reasoner == "offline"
    assert len(replay.received) == 2, "no request while the breaker is open"
    assert "plan: claude paused after a recent failure; using offline" in chat.state(second.thread_id).trace

    assert time.monotonic() - tripped < COOLDOWN_S, "the second turn ran inside the cooldown"
    time.sleep(max(0.0, tripped + COOLDOWN_S - time.monotonic()) + 0.1)
    third = chat.turn("p-001", "hello, anyone there?", thread_id=first.thread_id)
    assert third.reasoner == "offline"
    assert len(replay.received) == 4, "after the cooldown Claude is tried again (and fails again)"
    assert not breaker.allows()
