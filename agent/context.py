"""Services a turn runs with, passed as LangGraph's runtime context (never globals)."""

from __future__ import annotations

from dataclasses import dataclass

from agent.escalations import EscalationSink
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
    escalations: EscalationSink
    thread_id: str
