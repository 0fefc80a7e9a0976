"""compose: the reasoner writes the answer as cited sentences (falling back to offline on failure)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.models import Evidence
from agent.nodes.fallback import with_fallback
from agent.reasoners.base import ComposeRequest
from agent.state import TurnState


def compose(state: TurnState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Compose from the evidence gathered; the composer sees nothing else."""
    assert state.plan is not None
    request = ComposeRequest(
        question=state.question,
        plan=state.plan,
        evidence=state.evidence or Evidence(),
        notes=(*state.plan.notes, *state.act_notes),
    )
    trace = list(state.trace)
    answer, reasoner_name = with_fallback(
        "compose", runtime.context, lambda r: r.compose(request), trace, state.reasoner
    )
    trace.append(f"compose: {len(answer.sentences)} sentences, {len(answer.citations)} citations")
    return {"answer": answer, "trace": trace, "steps": state.steps + 1, "reasoner": reasoner_name}
