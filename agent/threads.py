"""`Threads`: the persisted conversations — their state, their transcript, and decisions delivered into them.

Only the checkpointer is needed (no embedder, index or reasoner), so the console and the review CLI can
show transcripts and resume parked threads cheaply. It is the agent's side of review's `ThreadResumer`
protocol, and the one place LangGraph's checkpoints are read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from agent.context import Context
from agent.graph import build_graph
from agent.models import Decision
from agent.nodes.wait import DecisionEvent
from agent.state import TurnState
from agent.transcript import TranscriptLine

RECURSION_LIMIT = 40
"""LangGraph's own backstop beneath the per-turn step limit."""
DURABILITY: Literal["sync"] = "sync"
"""Each step's checkpoint is written before the next step runs, so a process killed mid-turn leaves a
checkpoint the next message can finish the turn from (`ChatService.recover`)."""

ContextFactory = Callable[[str, str], Context]
"""`(patient_id, thread_id) -> Context`: the services a resumed step may need."""


class Threads:
    """The graph over one checkpointer, for reading threads and resuming them with decisions."""

    def __init__(self, checkpointer: BaseCheckpointSaver[str], context: ContextFactory | None = None) -> None:
        self.graph = build_graph(checkpointer)
        self._context = context
        """Set by the chat service: a resume then runs with the patient's services bound."""

    @staticmethod
    def config(thread_id: str) -> RunnableConfig:
        """LangGraph's run configuration for a thread."""
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}

    def state(self, thread_id: str) -> TurnState:
        """The thread's current state (empty for an unknown thread)."""
        values = self.graph.get_state(self.config(thread_id)).values
        return TurnState(**values) if isinstance(values, dict) else values

    def transcript(self, thread_id: str) -> list[TranscriptLine] | None:
        """The thread's patient-visible lines, or None when no such thread was ever stored."""
        snapshot = self.graph.get_state(self.config(thread_id))
        if snapshot.created_at is None:
            return None
        return self.state(thread_id).transcript

    def is_waiting(self, thread_id: str, item_id: str | None = None) -> bool:
        """Whether the thread waits for clinicians: for `item_id` in particular, or (None) parked at all."""
        if item_id is None:
            return bool(self.graph.get_state(self.config(thread_id)).interrupts)
        return item_id in {ref.id for ref in self.state(thread_id).pending}

    def was_interrupted(self, thread_id: str) -> bool:
        """Whether a turn on the thread stopped half-way (its process died): nodes are left to run."""
        snapshot = self.graph.get_state(self.config(thread_id))
        return bool(snapshot.next) and not snapshot.interrupts

    def delivered(self, thread_id: str, item_id: str) -> str | None:
        """The line the patient already got for `item_id`, when an earlier attempt delivered it.

        (Delivery resumes the thread in the checkpoint store; if recording completion failed after
        that, the retry must record what the patient saw rather than nothing.)
        """
        state = self.state(thread_id)
        for line in reversed(state.transcript):
            if line.delivers(item_id):
                return line.text
        if state.decision is not None and state.decision.escalation_id == item_id:
            # A thread from before lines were typed: its latest care-team line is this decision's.
            said = [line for line in state.transcript if line.speaker == "care_team"]
            return said[-1].text if said else None
        return None

    def deliver(self, patient_id: str, thread_id: str, decision: Decision) -> str:
        """Resume a parked thread with a clinician's decision; returns the line the patient sees."""
        resume: Command[Any] = Command(resume=DecisionEvent(decision=decision).model_dump())
        context = self._context(patient_id, thread_id) if self._context is not None else None
        self.graph.invoke(resume, self.config(thread_id), context=context, durability=DURABILITY)
        return self.state(thread_id).final_text
