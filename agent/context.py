"""Services a turn runs with, passed as LangGraph's runtime context (never globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tools.clock import Clock

if TYPE_CHECKING:  # types only: reading or resuming a thread must not load spaCy, sklearn or Chroma
    from agent.escalations import EscalationSink
    from agent.grounding.judge import EntailmentJudge
    from agent.grounding.verifier import Verifier
    from agent.policy import SafetyScreen
    from agent.reasoners.base import Reasoner
    from agent.reasoners.breaker import CircuitBreaker
    from knowledge.retriever import HybridRetriever
    from tools.record import PatientRecord

MAX_STEPS = 12
"""Upper bound on node executions in one turn: a loop bug ends the turn, it never spins."""


@dataclass(kw_only=True)
class Context:
    """Everything a node needs, already bound to the session's patient."""

    record: PatientRecord
    knowledge: HybridRetriever
    reasoner: Reasoner
    fallback: Reasoner | None = None
    """Used when the primary reasoner fails (Claude retries exhausted → offline)."""
    breaker: CircuitBreaker | None = None
    """Skips the primary reasoner for a while after it failed (shared by the process's turns)."""
    screen: SafetyScreen
    verifier: Verifier
    judge: EntailmentJudge | None = None
    """The gate's second stage, for sentences the Claude reasoner wrote (None: offline stage only)."""
    escalations: EscalationSink
    thread_id: str
    clock: Clock = field(default_factory=Clock)
    """The clinic's clock (`CARECOORD_NOW` / `CARECOORD_TIMEZONE`): ages, windows and "today" use it."""
