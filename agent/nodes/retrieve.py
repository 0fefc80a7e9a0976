"""retrieve: vetted guidance passages, with abstention when the sources cannot answer."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.models import Evidence, Retrieval
from agent.passage_fit import for_their_conditions, for_this_patient
from agent.state import TurnState
from agent.vocabulary import unknown_terms
from knowledge.errors import KnowledgeUnavailable
from tools.errors import FhirError, PatientIsolationError
from tools.views import Condition


def retrieve(state: TurnState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Search the knowledge index for the plan's guidance query.

    Abstains when the retriever's evidence is weak, or when the question names something that neither
    the corpus nor the patient's record mentions: passages about other things cannot answer it.
    """
    assert state.plan is not None and state.plan.guidance_query
    try:
        found = runtime.context.knowledge.search(state.plan.guidance_query, k=5, audience="patient")
    except KnowledgeUnavailable as exc:
        evidence = (state.evidence or Evidence()).model_copy(
            update={"passages": (), "abstain": True, "knowledge_unavailable": True}
        )
        return {
            "evidence": evidence,
            "retrieval": Retrieval(abstain=True, unavailable=True),
            "trace": [*state.trace, f"retrieve: {exc}"],
            "steps": state.steps + 1,
        }
    facts = state.evidence.facts if state.evidence else ()
    for_drugs = for_this_patient(state.question, found.passages, lambda: _medication_names(runtime.context))
    fitted = for_their_conditions(state.question, for_drugs, lambda: _problems(runtime.context))
    passages = fitted.passages
    names = tuple(f.text for f in facts)
    unknown = unknown_terms(state.question, extra=names)
    abstain = found.abstain or bool(unknown)
    evidence = (state.evidence or Evidence()).model_copy(
        update={"passages": passages, "abstain": abstain, "conditions": fitted.conditions}
    )
    trace = [
        *state.trace,
        f"retrieve: {len(passages)} passages ({len(found.passages) - len(for_drugs)} about drugs not taken, "
        f"{len(for_drugs) - len(passages)} about conditions not had; fitted to {list(fitted.conditions)}), "
        f"abstain={abstain}, best={found.best_score:.2f}, unknown={unknown}",
    ]
    retrieval = Retrieval(
        passages=len(passages), abstain=abstain, best_score=found.best_score, unknown=tuple(unknown)
    )
    return {"evidence": evidence, "retrieval": retrieval, "trace": trace, "steps": state.steps + 1}


def _medication_names(context: Context) -> list[str]:
    """The patient's active medication names; none when the record cannot say (every passage is kept)."""
    try:
        return [m.name for m in context.record.active_medications()]
    except (FhirError, PatientIsolationError):
        return []


def _problems(context: Context) -> list[Condition]:
    """The patient's problem list; empty when the record cannot say (every passage is kept)."""
    try:
        return context.record.conditions()
    except (FhirError, PatientIsolationError):
        return []
