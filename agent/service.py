"""`ChatService`: opens patient sessions and runs turns through the graph.

It takes the services it runs with ready-made (`AgentServices`): turning settings into services is the
composition root's job (`carecoord.wiring`), so the CLI, the API, the console and the evals all build
the agent the same way, once per process.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from agent.context import Context
from agent.escalations import EscalationSink
from agent.models import Decision
from agent.nodes.wait import PatientMessage
from agent.progress import OnStep, TurnOutcome, TurnStep
from agent.reasoners.base import Reasoner
from agent.reasoners.breaker import CircuitBreaker
from agent.result import ChatResult, CitationOut, EscalationOut, GroundingOut, ToolOut
from agent.state import TurnState
from agent.threads import DURABILITY, RECURSION_LIMIT, Threads
from agent.trail import AuditTrail
from tools.clock import Clock
from tools.fhir import FhirGateway
from tools.fhir_budget import fhir_budget
from tools.record import PatientRecord, ToolCall

if TYPE_CHECKING:  # built by the composition root; reading a thread or deciding an item never loads them
    from agent.grounding.judge import EntailmentJudge
    from agent.grounding.verifier import Verifier
    from agent.policy import SafetyScreen
    from knowledge.embedder import Embedder
    from knowledge.retriever import HybridRetriever

__all__ = ["DURABILITY", "RECURSION_LIMIT", "AgentServices", "ChatService", "to_result"]


@dataclass
class AgentServices:
    """The expensive, shareable parts: built once per process by the composition root."""

    embedder: Embedder
    screen: SafetyScreen
    reasoner: Reasoner
    fallback: Reasoner | None
    retriever: HybridRetriever
    verifier: Verifier
    escalations: EscalationSink
    gateway: FhirGateway
    breaker: CircuitBreaker | None = None
    reasoner_version: str = ""
    """How the primary reasoner is named in the audit log (e.g. `claude:claude-sonnet-4-5`)."""
    judge: EntailmentJudge | None = None
    """The gate's second stage for Claude's prose (built with the Claude reasoner when enabled)."""
    clock: Clock = field(default_factory=Clock)
    """The clinic's clock, built from settings by the composition root."""
    fhir_budget_s: float | None = None
    """Seconds one turn may spend on FHIR in all (retries included); None: only per-request timeouts."""


class ChatService:
    """Runs patient turns on threads persisted by a checkpointer."""

    def __init__(
        self, services: AgentServices, checkpointer: BaseCheckpointSaver[str], audit: AuditTrail | None = None
    ) -> None:
        self.services = services
        self.threads = Threads(checkpointer, context=self._context)
        """The thread store; also what review resumes parked threads through (`ThreadResumer`)."""
        self.graph = self.threads.graph
        self.audit = audit
        """When set, every FHIR tool call and every answer (its hash) goes to the audit log."""

    def _context(self, patient_id: str, thread_id: str) -> Context:
        services = self.services
        return Context(
            record=PatientRecord(
                gateway=services.gateway,
                patient_id=patient_id,
                on_call=self._audit_tool(patient_id, thread_id),
            ),
            knowledge=services.retriever,
            reasoner=services.reasoner,
            fallback=services.fallback,
            breaker=services.breaker,
            screen=services.screen,
            verifier=services.verifier,
            judge=services.judge,
            escalations=services.escalations,
            thread_id=thread_id,
            clock=services.clock,
        )

    def _reasoner_version(self, name: str) -> str:
        if name == self.services.reasoner.name and self.services.reasoner_version:
            return self.services.reasoner_version
        return name

    def _audit_tool(self, patient_id: str, thread_id: str) -> Callable[[ToolCall], None] | None:
        audit = self.audit
        if audit is None:
            return None
        reasoner = self._reasoner_version(self.services.reasoner.name)

        def log(call: ToolCall) -> None:
            payload = json.dumps({"name": call.name, "args": call.args, "ok": call.ok, "error": call.error})
            audit.append(
                "agent",
                f"fhir.{call.name}",
                [f"Patient/{patient_id}", f"thread:{thread_id}"],
                payload,
                reasoner,
            )

        return log

    _config = staticmethod(Threads.config)

    def is_waiting(self, thread_id: str) -> bool:
        """Whether the thread is parked in `wait` with escalations pending."""
        return self.threads.is_waiting(thread_id)

    def was_interrupted(self, thread_id: str) -> bool:
        """Whether a turn on the thread stopped half-way (its process died): nodes are left to run."""
        return self.threads.was_interrupted(thread_id)

    def recover(self, patient_id: str, thread_id: str) -> ChatResult | None:
        """Finish an interrupted turn from its last checkpoint; None when there is none.

        Re-running is safe: escalations dedupe on thread, turn and kind, and drafts carry stable
        identifiers, so whatever the dead process had already filed is not filed twice.
        """
        if not self.was_interrupted(thread_id):
            return None
        started = time.perf_counter()
        with fhir_budget(self.services.fhir_budget_s):
            self.graph.invoke(
                None,
                self._config(thread_id),
                context=self._context(patient_id, thread_id),
                durability=DURABILITY,
            )
        state = self.state(thread_id)
        self._audit_answer(patient_id, thread_id, state.question, state)
        return to_result(thread_id, state, (time.perf_counter() - started) * 1000)

    def turn(self, patient_id: str, message: str, thread_id: str | None = None) -> ChatResult:
        """Answer one patient message on a thread (new thread when none is given).

        An interrupted turn on the thread is finished first, so a new message never buries it.
        """
        return self.run_turn(patient_id, message, thread_id).result

    def run_turn(
        self, patient_id: str, message: str, thread_id: str | None = None, on_step: OnStep | None = None
    ) -> TurnOutcome:
        """`turn`, also returning the state after it, and calling `on_step` as each node finishes."""
        started = time.perf_counter()
        thread = thread_id or f"t-{uuid.uuid4().hex[:12]}"
        if thread_id is not None:
            self.recover(patient_id, thread)
        config = self._config(thread)
        context = self._context(patient_id, thread)
        payload: Any
        if self.is_waiting(thread):
            payload = Command(resume=PatientMessage(text=message).model_dump())
        else:
            payload = {"question": message}
        with fhir_budget(self.services.fhir_budget_s):
            for chunk in self.graph.stream(
                payload, config, context=context, durability=DURABILITY, stream_mode="updates"
            ):
                if on_step is None or not isinstance(chunk, dict):
                    continue
                for node, update in chunk.items():
                    if not node.startswith("__"):
                        on_step(TurnStep.from_update(node, update))
        state = self.state(thread)
        self._audit_answer(patient_id, thread, message, state)
        return TurnOutcome(to_result(thread, state, (time.perf_counter() - started) * 1000), state)

    def _audit_answer(self, patient_id: str, thread_id: str, message: str, state: TurnState) -> None:
        """Log the answer (its text is hashed by the log) with the message's hash."""
        if self.audit is None:
            return
        subjects = [f"Patient/{patient_id}", f"thread:{thread_id}"]
        if state.escalation is not None:
            subjects.append(f"review:{state.escalation.id}")
        input_hash = hashlib.sha256(message.encode()).hexdigest()
        reasoner = self._reasoner_version(state.reasoner)
        self.audit.append("agent", "answer", subjects, state.final_text, reasoner, input_hash)

    def deliver(self, patient_id: str, thread_id: str, decision: Decision) -> str:
        """Resume a parked thread with a clinician's decision; returns the line the patient sees."""
        return self.threads.deliver(patient_id, thread_id, decision)

    def state(self, thread_id: str) -> TurnState:
        """The thread's current state."""
        return self.threads.state(thread_id)


def to_result(thread_id: str, state: TurnState, ms: float) -> ChatResult:
    """Project the state onto the `--json` contract."""
    answer = state.answer
    grounding = state.grounding
    escalation = state.escalation
    return ChatResult(
        thread_id=thread_id,
        answer=state.final_text,
        citations=[CitationOut(**c.model_dump()) for c in (answer.citations if answer else ())],
        escalation=EscalationOut(
            id=escalation.id, level=escalation.level, kind=escalation.kind, status=escalation.status
        )
        if escalation
        else None,
        grounding=GroundingOut(
            sentences=grounding.sentences if grounding else 0,
            supported=grounding.supported if grounding else 0,
            removed=grounding.removed if grounding else 0,
        ),
        tools=[ToolOut(name=c.name, args=dict(c.args), ok=c.ok, ms=round(c.ms, 2)) for c in state.tool_calls],
        reasoner=state.reasoner,
        ms=round(ms, 2),
    )
