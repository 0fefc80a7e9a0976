"""Which escalation a turn needs, by the ordered rules of `policy.yaml` (`escalation.rules`).

Python only recognises the situations (an emergency screen, a drafted action, an EHR outage, ...);
the policy says, in order, which kind of item each files, at which level, with which patient notice,
and the SLA per level. Editing the YAML changes the outcome without a code change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.models import EscalationKind, EscalationLevel
from agent.responses import responses
from agent.safety.policy import EscalationRule, Policy, Situation
from agent.state import TurnState

LOW_CONFIDENCE = 0.35
"""Below this plan confidence the offline intent guess is not trusted to answer alone."""
SILENT_INTENTS = frozenset({"greeting", "out_of_scope"})


@dataclass(frozen=True)
class Need:
    """The one escalation a turn needs."""

    kind: EscalationKind
    level: EscalationLevel
    summary: str
    notice: str
    sla_minutes: int


def _emergency(state: TurnState) -> str | None:
    screen = state.screen
    return f"Emergency screen: {screen.red_flag}" if screen and screen.red_flag else None


def _protocol(state: TurnState) -> str | None:
    screen = state.screen
    if screen and screen.protocol:
        return f"Protocol {screen.protocol}: {screen.urgent_flag or screen.red_flag}"
    return None


def _dose_change(state: TurnState) -> str | None:
    screen = state.screen
    return "Patient asks to change a medication dose" if screen and screen.refusal == "dose_change" else None


def _refusal(state: TurnState) -> str | None:
    return f"Refused: {state.screen.refusal}" if state.screen and state.screen.refusal else None


def _draft(state: TurnState) -> str | None:
    evidence = state.evidence
    return evidence.drafts[0].summary if evidence and evidence.drafts else None


def _ehr(state: TurnState) -> str | None:
    evidence = state.evidence
    return "The EHR could not be reached during the turn" if evidence and evidence.tool_errors else None


def _knowledge(state: TurnState) -> str | None:
    evidence = state.evidence
    if evidence and evidence.knowledge_unavailable:
        return "The knowledge index could not be reached during the turn"
    return None


def _cannot_answer(state: TurnState) -> str | None:
    answer, plan = state.answer, state.plan
    if answer is not None and not answer.substantive and plan and plan.needs_guidance:
        return "Question the knowledge base cannot answer"
    return None


def _not_in_record(state: TurnState) -> str | None:
    """A complete search found none of a result the patient asked about: the care team checks and answers."""
    if "no_results" in state.act_notes:
        return "A result the patient asked about is not in the record"
    if "no_vaccine" in state.act_notes:
        return "A vaccination the patient asked about is not in the record"
    return None


def _failed_verification(state: TurnState) -> str | None:
    answer = state.answer
    if state.grounding and state.grounding.removed and answer is not None and not answer.substantive:
        return "Answer failed verification"
    return None


def _urgent(state: TurnState) -> str | None:
    screen = state.screen
    return f"Urgent screen: {screen.urgent_flag}" if screen and screen.urgent_flag else None


def _symptom(state: TurnState) -> str | None:
    return "Patient reports a symptom" if state.plan and state.plan.intent == "symptom_report" else None


def _empty_answer(state: TurnState) -> str | None:
    """Nothing to say (no sentence survived, none was composed): the patient must never get silence."""
    if state.plan is not None and (state.answer is None or not state.answer.sentences):
        return "The assistant found nothing it could say"
    return None


def _low_confidence(state: TurnState) -> str | None:
    plan = state.plan
    if plan and plan.intent not in SILENT_INTENTS and plan.confidence < LOW_CONFIDENCE:
        return "The assistant was unsure what the patient meant"
    return None


SITUATIONS: dict[Situation, Callable[[TurnState], str | None]] = {
    "emergency": _emergency,
    "protocol": _protocol,
    "dose_change_request": _dose_change,
    "refusal": _refusal,
    "draft_action": _draft,
    "ehr_unavailable": _ehr,
    "knowledge_unavailable": _knowledge,
    "cannot_answer": _cannot_answer,
    "not_in_record": _not_in_record,
    "failed_verification": _failed_verification,
    "urgent_screen": _urgent,
    "symptom_report": _symptom,
    "empty_answer": _empty_answer,
    "low_confidence": _low_confidence,
}
"""What each `when` of the rules table means; each returns the item's summary, or None."""


def _level(rule: EscalationRule, state: TurnState, policy: Policy) -> EscalationLevel:
    if rule.level == "from_action":
        draft = state.evidence.drafts[0] if state.evidence and state.evidence.drafts else None
        action = policy.actions.get(draft.kind) if draft else None
        return action.level if action else "routine"
    if rule.level == "from_screen":
        return (state.screen.level if state.screen else None) or "routine"
    return rule.level


def decide(state: TurnState, policy: Policy) -> Need | None:
    """The first rule whose situation holds; None when it files nothing (or no rule holds)."""
    said = responses().model_dump()
    for rule in policy.escalation.rules:
        summary = SITUATIONS[rule.when](state)
        if summary is None:
            continue
        if rule.kind == "none":
            return None
        level = _level(rule, state, policy)
        notice = said[rule.notice] if rule.notice else ""
        return Need(rule.kind, level, summary, notice, policy.escalation.sla_minutes[level])
    return None
