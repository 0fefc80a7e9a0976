"""Fixed procedural sentences (`prompts/responses.yaml`), typed so a missing key fails at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

RESPONSES_PATH = Path(__file__).parent / "prompts" / "responses.yaml"


class Responses(BaseModel):
    """Every procedural sentence the assistant can say."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    greeting: str
    out_of_scope: str
    refusal_other_patient: str
    refusal_prompt_injection: str
    refusal_dose_change: str
    abstain: str
    abstain_escalated: str
    nothing_found_escalated: str
    ask_which_medication: str
    no_medications: str
    no_match_medication: str
    no_upcoming: str
    no_slots: str
    no_slots_in_window: str
    no_results: str
    related_results: str
    no_care_plans: str
    no_allergies: str
    no_conditions: str
    no_vaccine: str
    no_vaccinations: str
    not_recognised: str
    not_recognised_medicine: str
    search_incomplete: str
    series_incomplete: str
    single_result: str
    no_earlier: str
    action_sent: str
    clinical_sent: str
    urgent_sent: str
    emergency_sent: str
    tool_failure: str
    library_failure: str
    verifier_escalated: str
    low_confidence: str
    decision_approved: str
    decision_rejected: str
    decision_answered: str
    decision_acknowledged: str


@lru_cache(maxsize=1)
def responses() -> Responses:
    """The loaded response texts."""
    return Responses.model_validate(yaml.safe_load(RESPONSES_PATH.read_text(encoding="utf-8")))
