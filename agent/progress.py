"""What a running turn reports as it goes: one typed step per node, streamed from the graph.

`ChatService.run_turn(on_step=...)` calls back once per finished node (LangGraph's
`stream_mode="updates"`), so a caller such as the API shows "Checking your medications…" the moment the
plan is known, without reading checkpoints while the turn runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from agent.models import EscalationRef, Plan
from agent.result import ChatResult
from agent.state import TurnState


@dataclass(frozen=True)
class TurnStep:
    """A node of the turn has finished."""

    node: str
    plan: Plan | None = None
    """Set when this node decided the turn's plan (its tools and whether it needs guidance)."""
    escalation: EscalationRef | None = None
    """Set when this node filed an escalation."""

    @classmethod
    def from_update(cls, node: str, update: object) -> TurnStep:
        """The step for one `{node: update}` item of LangGraph's update stream."""
        values: Mapping[str, Any] = update if isinstance(update, Mapping) else {}
        plan, escalation = values.get("plan"), values.get("escalation")
        return cls(
            node=node,
            plan=plan if isinstance(plan, Plan) else None,
            escalation=escalation if isinstance(escalation, EscalationRef) else None,
        )


OnStep = Callable[[TurnStep], None]
"""Called from the thread running the turn, after each node."""


@dataclass(frozen=True)
class TurnOutcome:
    """A finished turn: its `--json` result and the thread's state after it."""

    result: ChatResult
    state: TurnState
