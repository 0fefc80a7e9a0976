"""escalate: file what a clinician must see, per policy, and tell the patient it was sent.

Every drafted action of a multi-part message is its own review item ("refill furosemide and also my
insulin" is two), so the notice that the request was sent is true of each of them.

Which item, at which level and SLA, comes from the ordered rules of `policy.yaml` (`agent/safety/escalation.py`).

Idempotent by construction (the queue dedupes on thread, turn and kind), so a re-run after a resume
or a crash files nothing twice.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.escalations import EscalationRequest
from agent.models import AnswerSentence, ComposedAnswer
from agent.safety.escalation import decide
from agent.state import TurnState


def escalate(state: TurnState, runtime: Runtime[Context]) -> dict[str, Any]:
    """File the escalation the turn needs (if any) and add the patient-facing notice."""
    context = runtime.context
    need = decide(state, context.screen.policy)
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
        sla_minutes=need.sla_minutes,
    )
    ref = context.escalations.file(request)
    pending = [*state.pending, ref] if ref.status == "pending" else list(state.pending)
    if draft is not None and evidence is not None:
        for index, extra in enumerate(evidence.drafts[1:], start=1):
            more = context.escalations.file(
                request.model_copy(
                    update={
                        "dedupe_key": f"{request.dedupe_key}:{index}",
                        "summary": extra.summary,
                        "draft_kind": extra.kind,
                        "draft_resource": extra.resource,
                        "draft_identifier": extra.identifier_value,
                    }
                )
            )
            pending += [more] if more.status == "pending" else []
    sentences = list(answer.sentences)
    if need.notice:
        sentences.append(AnswerSentence(text=need.notice, procedural=True))
    return {
        "escalation": ref,
        "pending": pending,
        "answer": answer.model_copy(update={"sentences": tuple(sentences)}),
        "trace": [*state.trace, f"escalate: {ref.kind}/{ref.level} {ref.id}"],
        "steps": state.steps + 1,
    }
