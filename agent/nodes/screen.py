"""screen: the safety gate every message passes before anything slow or fallible runs."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.safety.drug_classes import MedicationNames, MedicationsUnknown
from agent.state import TurnState
from tools.errors import FhirError
from tools.record import PatientRecord


def _medications(record: PatientRecord) -> MedicationNames:
    """The patient's active medication names, read only if a flag needs a drug class."""

    def names() -> list[str]:
        try:
            return [m.name for m in record.active_medications()]
        except FhirError as error:
            raise MedicationsUnknown(str(error)) from error

    return names


def screen(state: TurnState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Reset the turn's fields and classify the message: emergency, refusal, urgent or clear."""
    context = runtime.context
    result = context.screen.check(state.question, medications=_medications(context.record))
    trace = [
        f"screen: {result.red_flag or result.refusal or result.urgent_flag or 'clear'} ({result.matched or '-'})"
    ]
    return {
        "screen": result,
        "plan": None,
        "evidence": None,
        "retrieval": None,
        "answer": None,
        "final_text": "",
        "grounding": None,
        "escalation": None,
        "decision": None,
        "tool_calls": [],
        "act_notes": [],
        "mentioned": [],
        "trace": trace,
        "steps": 1,
        "reasoner": runtime.context.reasoner.name,
    }
