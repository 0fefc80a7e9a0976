"""escalate: file what a clinician must see, per policy, and tell the patient it was sent.

Idempotent by construction (the queue dedupes on thread, turn and kind), so a re-run after a resume
or a crash files nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.escalations import EscalationRequest
from agent.models import AnswerSentence, ComposedAnswer, EscalationKind, EscalationLevel
from agent.responses import responses
from agent.state import TurnState

LOW_CONFIDENCE = 0.35
"""Below this plan confidence the offline intent guess is not trusted to answer alone."""
SILENT_INTENTS = frozenset({"greeting", "out_of_scope"})


@dataclass(frozen=True)
class _Need:
    kind: EscalationKind
    level: EscalationLevel
    summary: str
    notice: str


def _decide(state: TurnState, policy_level: dict[str, EscalationLevel]) -> _Need | None:
    """The one escalation this turn needs, most serious first."""
    said = responses()
    screen, plan, evidence, answer = state.screen, state.plan, state.evidence, state.answer
    if screen and screen.red_flag:
        return _Need("emergency", "emergent", f"Emergency screen: {screen.red_flag}", said.emergency_sent)
    if screen and screen.refusal == "dose_change":
        return _Need("clinical_question", "urgent", "Patient asks to change a medication dose", "")
    if screen and screen.refusal:
        return None
    if evidence and evidence.drafts:
        draft = evidence.drafts[0]
        return _Need(
            "action_approval", policy_level.get(draft.kind, "routine"), draft.summary, said.action_sent
        )
    if evidence and evidence.tool_errors:
        return _Need(
            "clinical_question", "routine", "The EHR could not be reached during the turn", said.tool_failure
        )
    if evidence and evidence.knowledge_unavailable:
        return _Need(
            "clinical_question",
            "routine",
            "The knowledge index could not be reached during the turn",
            said.library_failure,
        )
    if answer is not None and not answer.substantive and plan and plan.needs_guidance:
        return _Need(
            "clinical_question",
            "routine",
            "Question the knowledge base cannot answer",
            said.abstain_escalated,
        )
    if state.grounding and state.grounding.removed and answer is not None and not answer.substantive:
        return _Need("clinical_question", "routine", "Answer failed verification", said.verifier_escalated)
    if screen and screen.urgent_flag:
        return _Need("clinical_question", "urgent", f"Urgent screen: {screen.urgent_flag}", said.urgent_sent)
    if plan and plan.intent == "symptom_report":
        return _Need("clinical_question", "routine", "Patient reports a symptom", said.clinical_sent)
    if plan and plan.intent not in SILENT_INTENTS and plan.confidence < LOW_CONFIDENCE:
        return _Need(
            "low_confidence",
            "routine",
            "The assistant was unsure what the patient meant",
            said.low_confidence,
        )
    return None


def escalate(state: TurnState, runtime: Runtime[Context]) -> dict[str, Any]:
    """File the escalation the turn needs (if any) and add the patient-facing notice."""
    context = runtime.context
    levels: dict[str, EscalationLevel] = {
        "refill": "routine",
        "booking": "routine",
        "referral": "routine",
        "message": "routine",
    }
    need = _decide(state, levels)
    if need is None:
        return {"steps": state.steps + 1}
    evidence = state.evidence
    draft = evidence.drafts[0] if evidence and evidence.drafts and need.kind == "action_approval" else None
    answer = state.answer or ComposedAnswer(sentences=(), citations=())
    request = EscalationRequest(
        dedupe_key=f"{context.thread_id}:{len(state.history)}:{need.kind}",
        patient_id=context.record.patient_id,
        thread_id=context.thread_id,
        kind=need.kind,
        level=need.level,
        summary=need.summary,
        rationale="; ".join(state.trace[-6:]),
        question=state.question,
        answer=" ".join(s.text for s in answer.sentences),
        citations=answer.citations,
        grounding=state.grounding,
        draft_kind=draft.kind if draft else None,
        draft_resource=draft.resource if draft else None,
        draft_identifier=draft.identifier_value if draft else None,
    )
    ref = context.escalations.file(request)
    sentences = list(answer.sentences)
    if need.notice:
        sentences.append(AnswerSentence(text=need.notice, procedural=True))
    pending = [*state.pending, ref] if ref.status == "pending" else state.pending
    return {
        "escalation": ref,
        "pending": pending,
        "answer": answer.model_copy(update={"sentences": tuple(sentences)}),
        "trace": [*state.trace, f"escalate: {ref.kind}/{ref.level} {ref.id}"],
        "steps": state.steps + 1,
    }
