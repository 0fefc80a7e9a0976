"""`ChatService`: opens patient sessions and runs turns through the graph.

The one place the agent is assembled from settings: the CLI, the API and the evals all come here.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from agent.checkpoints import open_checkpointer
from agent.context import Context
from agent.escalations import EscalationSink
from agent.graph import build_graph
from agent.grounding.verifier import Verifier
from agent.intents import IntentClassifier
from agent.models import Decision
from agent.nodes.wait import DecisionEvent, PatientMessage
from agent.policy import Policy, SafetyScreen
from agent.reasoners.base import Reasoner
from agent.reasoners.breaker import CircuitBreaker
from agent.reasoners.offline import OfflineReasoner
from agent.result import ChatResult, CitationOut, EscalationOut, GroundingOut, ToolOut
from agent.state import TurnState
from carecoord.settings import Settings
from knowledge.embedder import Embedder, load_embedder
from knowledge.index import KnowledgeIndex
from knowledge.retriever import HybridRetriever
from knowledge.vector_cache import CachedEmbedder
from tools.fhir import FhirGateway
from tools.record import PatientRecord, ToolCall

if TYPE_CHECKING:
    from carecoord.audit import AuditLog

RECURSION_LIMIT = 40
"""LangGraph's own backstop beneath the per-turn step limit."""
DURABILITY: Literal["sync"] = "sync"
"""Each step's checkpoint is written before the next step runs, so a process killed mid-turn leaves a
checkpoint the next message can finish the turn from (`recover`)."""


@dataclass
class AgentServices:
    """The expensive, shareable parts: loaded once per process."""

    settings: Settings
    embedder: Embedder
    screen: SafetyScreen
    reasoner: Reasoner
    fallback: Reasoner | None
    retriever: HybridRetriever
    verifier: Verifier
    escalations: EscalationSink
    gateway: FhirGateway
    breaker: CircuitBreaker | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, escalations: EscalationSink, reasoner: str | None = None
    ) -> AgentServices:
        """Build every service the settings call for (the reasoner can be forced: offline|claude)."""
        embedder = load_embedder()
        cached = CachedEmbedder(embedder, settings.vectors_cache)
        classifier = IntentClassifier(cached)
        screen = SafetyScreen(Policy.load(), cached, ordinary=classifier.exemplars)
        offline = OfflineReasoner(classifier, cached)
        choice = reasoner or settings.reasoner
        primary: Reasoner = offline
        fallback: Reasoner | None = None
        if choice == "claude" or (choice == "auto" and settings.anthropic_api_key is not None):
            from agent.reasoners.claude import ClaudeReasoner

            primary, fallback = ClaudeReasoner.from_settings(settings), offline
        services = cls(
            settings=settings,
            embedder=embedder,
            screen=screen,
            reasoner=primary,
            fallback=fallback,
            retriever=HybridRetriever(KnowledgeIndex.from_settings(settings, embedder), embedder),
            verifier=Verifier(),
            escalations=escalations,
            gateway=FhirGateway(settings.fhir_url, settings.fhir_timeout_s, settings.fhir_retries),
            breaker=CircuitBreaker(settings.claude_cooldown_s) if fallback is not None else None,
        )
        screen.warm()
        offline.classifier.warm()
        return services


class ChatService:
    """Runs patient turns on threads persisted by a checkpointer."""

    def __init__(
        self, services: AgentServices, checkpointer: BaseCheckpointSaver[str], audit: AuditLog | None = None
    ) -> None:
        self.services = services
        self.graph = build_graph(checkpointer)
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
            escalations=services.escalations,
            thread_id=thread_id,
        )

    def _reasoner_version(self, name: str) -> str:
        return f"claude:{self.services.settings.claude_model}" if name == "claude" else name

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

    @staticmethod
    def _config(thread_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}

    def is_waiting(self, thread_id: str) -> bool:
        """Whether the thread is parked in `wait` with escalations pending."""
        snapshot = self.graph.get_state(self._config(thread_id))
        return bool(snapshot.interrupts)

    def was_interrupted(self, thread_id: str) -> bool:
        """Whether a turn on the thread stopped half-way (its process died): nodes are left to run."""
        snapshot = self.graph.get_state(self._config(thread_id))
        return bool(snapshot.next) and not snapshot.interrupts

    def recover(self, patient_id: str, thread_id: str) -> ChatResult | None:
        """Finish an interrupted turn from its last checkpoint; None when there is none.

        Re-running is safe: escalations dedupe on thread, turn and kind, and drafts carry stable
        identifiers, so whatever the dead process had already filed is not filed twice.
        """
        if not self.was_interrupted(thread_id):
            return None
        started = time.perf_counter()
        self.graph.invoke(
            None, self._config(thread_id), context=self._context(patient_id, thread_id), durability=DURABILITY
        )
        state = self.state(thread_id)
        self._audit_answer(patient_id, thread_id, state.question, state)
        return to_result(thread_id, state, (time.perf_counter() - started) * 1000)

    def turn(self, patient_id: str, message: str, thread_id: str | None = None) -> ChatResult:
        """Answer one patient message on a thread (new thread when none is given).

        An interrupted turn on the thread is finished first, so a new message never buries it.
        """
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
        self.graph.invoke(payload, config, context=context, durability=DURABILITY)
        state = self.state(thread)
        self._audit_answer(patient_id, thread, message, state)
        return to_result(thread, state, (time.perf_counter() - started) * 1000)

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
        config = self._config(thread_id)
        event = DecisionEvent(decision=decision).model_dump()
        resume: Command[Any] = Command(resume=event)
        self.graph.invoke(resume, config, context=self._context(patient_id, thread_id), durability=DURABILITY)
        return self.state(thread_id).final_text

    def state(self, thread_id: str) -> TurnState:
        """The thread's current state."""
        values = self.graph.get_state(self._config(thread_id)).values
        return TurnState(**values) if isinstance(values, dict) else values


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


@contextmanager
def open_chat_service(settings: Settings, reasoner: str | None = None) -> Iterator[ChatService]:
    """A ready service over the configured checkpointer and review queue."""
    from carecoord.app_services import open_review_stores

    with open_review_stores(settings) as stores:
        services = AgentServices.from_settings(settings, stores.queue, reasoner)
        with open_checkpointer(settings.database_url, settings.data_dir) as checkpointer:
            yield ChatService(services, checkpointer, audit=stores.audit)
