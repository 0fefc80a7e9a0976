"""The care-coordination graph, wired once.

screen → plan → act → retrieve → compose → verify → escalate → respond → wait; emergencies and
refusals go from screen straight to escalate.
"""

from __future__ import annotations

from typing import Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.context import MAX_STEPS, Context
from agent.nodes.act import act
from agent.nodes.compose import compose
from agent.nodes.escalate import escalate
from agent.nodes.plan import plan
from agent.nodes.respond import respond
from agent.nodes.retrieve import retrieve
from agent.nodes.screen import screen
from agent.nodes.verify import verify
from agent.nodes.wait import wait
from agent.state import TurnState


def after_screen(state: TurnState) -> Literal["escalate", "plan"]:
    """Emergencies, protocols and refusals skip everything slow or model-driven.

    A protocol's answer (low sugar now, a dose error) is its instructions, never a planner's guess.
    """
    assert state.screen is not None
    screen = state.screen
    return "escalate" if screen.red_flag or screen.protocol or screen.refusal else "plan"


def after_plan(state: TurnState) -> Literal["act", "retrieve", "compose"]:
    """Tools first, then guidance, else straight to composition."""
    assert state.plan is not None
    if state.steps >= MAX_STEPS:
        return "compose"
    if state.plan.tools:
        return "act"
    return "retrieve" if state.plan.needs_guidance else "compose"


def after_act(state: TurnState) -> Literal["retrieve", "compose"]:
    """Guidance after record reads when the plan asks for it."""
    assert state.plan is not None
    return "retrieve" if state.plan.needs_guidance and state.steps < MAX_STEPS else "compose"


def build_graph(
    checkpointer: BaseCheckpointSaver[str] | None = None,
) -> CompiledStateGraph[TurnState, Context, TurnState, TurnState]:
    """Compile the graph with a checkpointer (threads, interrupts and resumes need one)."""
    graph = StateGraph(TurnState, context_schema=Context)
    graph.add_node("screen", screen)
    graph.add_node("plan", plan)
    graph.add_node("act", act)
    graph.add_node("retrieve", retrieve)
    graph.add_node("compose", compose)
    graph.add_node("verify", verify)
    graph.add_node("escalate", escalate)
    graph.add_node("respond", respond)
    graph.add_node("wait", wait)
    graph.add_edge(START, "screen")
    graph.add_conditional_edges("screen", after_screen)
    graph.add_conditional_edges("plan", after_plan)
    graph.add_conditional_edges("act", after_act)
    graph.add_edge("retrieve", "compose")
    graph.add_edge("compose", "verify")
    graph.add_edge("verify", "escalate")
    graph.add_edge("escalate", "respond")
    graph.add_edge("respond", "wait")
    return graph.compile(checkpointer=checkpointer)
