"""plan: the reasoner decides the intent and the tools; a failing reasoner falls back, never crashes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from langgraph.runtime import Runtime

from agent.asks import Ask, understand
from agent.asks.planning import steer_by_asks
from agent.asks.understand import follow_up
from agent.context import Context
from agent.models import Plan
from agent.nodes.fallback import with_fallback
from agent.reasoners.base import PlanRequest
from agent.state import TurnState
from agent.vocabulary import unknown_terms
from tools.clock import TimeWindow


def _steer(decided: Plan, state: TurnState) -> Plan:
    """Backend-independent adjustments to any reasoner's plan.

    Urgent readings fetch guidance on their topic; a question naming an unknown term must go through
    retrieval, where it abstains.
    """
    screen = state.screen
    if screen is not None and screen.urgent_flag:
        topic = screen.urgent_flag.replace("-", " ")
        query = f"{decided.guidance_query or state.question} {topic}"
        return decided.model_copy(update={"needs_guidance": True, "guidance_query": query})
    if (
        not decided.needs_guidance
        and not any(t.tool.startswith("draft_") or t.args.get("fact") for t in decided.tools)
        and decided.intent in ("medication_list", "general_question")
        and unknown_terms(state.question)
    ):
        return decided.model_copy(
            update={
                "intent": "medication_question",
                "tools": (),
                "needs_guidance": True,
                "guidance_query": state.question,
            }
        )
    return decided


def _window(start: str | None, end: str | None) -> TimeWindow | None:
    """The previous turn's lab window from its ISO bounds (None when it had none)."""
    if start is None and end is None:
        return None
    return TimeWindow(
        start=datetime.fromisoformat(start) if start else None,
        end=datetime.fromisoformat(end) if end else None,
    )


def _label(ask: Ask) -> str:
    """An ask as the trace shows it: its kind and what it is about."""
    return f"{ask.kind}:{ask.request or (ask.concept.concept_id if ask.concept else '-')}"


def plan(state: TurnState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Ask the reasoner for a plan (the fallback reasoner when the primary one fails)."""
    assert state.screen is not None
    request = PlanRequest(question=state.question, history=tuple(state.history[-4:]), screen=state.screen)
    trace = list(state.trace)
    decided, reasoner_name = with_fallback(
        "plan", runtime.context, lambda r: r.plan(request), trace, state.reasoner
    )
    from agent.language import analyze  # spaCy loads with the first turn, not with the graph

    analysis = analyze(state.question, clock=runtime.context.clock)
    last = state.history[-1] if state.history else None
    asks = understand(analysis) or (
        follow_up(analysis, last.lab_concept, last.lab_back, _window(last.lab_start, last.lab_end))
        if last
        else ()
    )
    decided = _steer(steer_by_asks(decided, asks, analysis), state)
    if asks:
        trace.append("asks: " + "; ".join(_label(a) for a in asks))
    trace.append(f"plan: {decided.intent} ({decided.confidence:.2f}) tools={[t.tool for t in decided.tools]}")
    return {"plan": decided, "trace": trace, "steps": state.steps + 1, "reasoner": reasoner_name}
