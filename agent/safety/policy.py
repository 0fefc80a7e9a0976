"""The safety policy (`agent/policy.yaml`) as typed data: flags, combinations, readings, protocols, escalation.

The clinical lead edits the YAML; nothing here holds a threshold, a drug name or a phrase.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.models import EscalationKind, EscalationLevel

POLICY_PATH = Path(__file__).resolve().parent.parent / "policy.yaml"

RefusalKind = Literal["other_patient", "prompt_injection", "dose_change"]
LEVEL_RANK: dict[EscalationLevel, int] = {"routine": 0, "urgent": 1, "emergent": 2}


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Flag(_Data):
    """One red or urgent flag: its phrases, example messages, and what it calls for."""

    id: str
    level: EscalationLevel = "emergent"
    instructions: str | None = None
    """Key of `emergency_instructions` (red flags); a protocol's text replaces it when `protocol` is set."""
    protocol: str | None = None
    requires_drug_class: str | None = None
    """Only fires when the patient takes (or names) a medicine of this class: bleeding on a blood thinner."""
    numbers_decide: str | None = None
    """A concept with reading thresholds (`readings:`): when the message gives a number for it, the
    thresholds decide and this flag's exemplars do not ("my bp was 150/95" is not "over 180")."""
    phrases: list[str] = Field(default_factory=list)
    exemplars: list[str] = Field(default_factory=list)


class Combination(_Data):
    """A red-flag family recognised by concepts together: each group needs one current mention."""

    id: str
    instructions: str = "call_911"
    requires_drug_class: str | None = None
    all_of: list[list[str]]


class Protocol(_Data):
    """First-aid instructions the answer must start with, reviewed by the clinical lead."""

    guideline: str
    level: EscalationLevel
    text: str


class ReadingRule(_Data):
    """A threshold on a number the patient reports ("my sugar is 62", "190/125")."""

    concept: str
    below: float | None = None
    at_least: float | None = None
    second_at_least: float | None = None
    """Blood pressure's diastolic: the rule also matches when the second number reaches this."""
    with_symptom: bool = False
    symptoms: list[str] = Field(default_factory=list)
    """Only when one of these concepts is current too ("over 400 and I'm confused")."""
    red_flag: str | None = None
    urgent_flag: str | None = None
    protocol: str | None = None
    asserts: str | None = None
    """A concept the reading states, for the families to combine ("temp 102" asserts `fever`)."""

    def matches(self, value: float, second: float | None) -> bool:
        """Whether a reading (value, optional second number) meets this rule's threshold."""
        if self.below is not None and value < self.below:
            return True
        if self.at_least is not None and value >= self.at_least:
            return True
        return self.second_at_least is not None and second is not None and second >= self.second_at_least


class Overdose(_Data):
    """Which protocol an overdose or dose-error flag gets: Poison Control, or 911 when severe."""

    flags: list[str]
    protocol: str
    severe_protocol: str
    severe_symptoms: list[str] = Field(default_factory=list)
    severe_drug_classes: list[str] = Field(default_factory=list)
    severe_flags: list[str] = Field(default_factory=list)
    severe_count: int | None = None
    """A count of pills at or above this ("took 20 Tylenol") is severe."""
    severe_units: int | None = None
    """Insulin units at or above this taken by mistake ("45 units instead of 4") is severe."""
    taking_words: list[str] = Field(default_factory=list)
    """With a medicine and a severe amount, these make a message an overdose report ("took 9 of my ...")."""
    amount_flag: str = "overdose-poisoning"
    child_relations: list[str] = Field(default_factory=list)
    """A medicine taken (`taking_words`) by someone of these relations is a child ingestion."""
    child_flag: str | None = None


class Hypoglycemia(_Data):
    """A low-sugar mention without a number is active when one of these symptoms is current too."""

    condition: str
    symptoms: list[str]
    protocol: str = "hypoglycemia"
    urgent_flag: str = "low-blood-sugar"
    severe_symptoms: list[str] = Field(default_factory=list)
    """With active low sugar, these make it an emergency (the protocol text still comes first)."""
    red_flag: str = "severe-hypoglycemia"
    suspect_drug_class: str | None = None
    """A medicine of this class named with `suspect_min_symptoms` typical symptoms suspects low sugar."""
    suspect_min_symptoms: int = 2
    by_mouth_unsafe: list[str] = Field(default_factory=list)
    """Concepts that make fast sugar by mouth unsafe (cannot swallow, not awake)."""
    by_mouth_unsafe_protocol: str | None = None
    """The protocol then given instead (911 and glucagon first)."""


class PhraseSet(_Data):
    """Phrases and exemplars for a refusal category."""

    phrases: list[str] = Field(default_factory=list)
    exemplars: list[str] = Field(default_factory=list)


class ActionRule(_Data):
    """How a drafted action is escalated."""

    risk: Literal["read", "draft", "commit"]
    escalation: Literal["action_approval"] = "action_approval"
    level: EscalationLevel = "routine"


Situation = Literal[
    "emergency",
    "protocol",
    "dose_change_request",
    "refusal",
    "draft_action",
    "ehr_unavailable",
    "knowledge_unavailable",
    "cannot_answer",
    "not_in_record",
    "failed_verification",
    "urgent_screen",
    "symptom_report",
    "empty_answer",
    "low_confidence",
]


class EscalationRule(_Data):
    """One row of the ordered escalation table: in this situation, file this kind at this level."""

    when: Situation
    kind: EscalationKind | Literal["none"]
    level: EscalationLevel | Literal["from_action", "from_screen"] = "routine"
    """`from_action`: the drafted action's level in `actions`; `from_screen`: the screen's level."""
    notice: str | None = None
    """Key of `agent/prompts/responses.yaml` said to the patient; none: nothing is added."""


class EscalationPolicy(_Data):
    """Time to a decision per level and the ordered rules (first match wins)."""

    sla_minutes: dict[EscalationLevel, int]
    rules: list[EscalationRule]

    @model_validator(mode="after")
    def _every_level_has_an_sla(self) -> EscalationPolicy:
        missing = {"routine", "urgent", "emergent"} - set(self.sla_minutes)
        if missing:
            raise ValueError(f"escalation.sla_minutes lacks {sorted(missing)}")
        return self


class Policy(_Data):
    """The parsed `policy.yaml`."""

    version: int
    emergency_instructions: dict[str, str]
    protocols: dict[str, Protocol] = Field(default_factory=dict)
    drug_classes: dict[str, list[str]] = Field(default_factory=dict)
    overdose: Overdose | None = None
    combinations: list[Combination] = Field(default_factory=list)
    readings: list[ReadingRule] = Field(default_factory=list)
    hypoglycemia: Hypoglycemia | None = None
    escalation: EscalationPolicy
    red_flags: list[Flag]
    urgent_flags: list[Flag] = Field(default_factory=list)
    look_alikes: list[str] = Field(default_factory=list)
    refusals: dict[RefusalKind, PhraseSet] = Field(default_factory=dict)
    actions: dict[str, ActionRule] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = POLICY_PATH) -> Policy:
        """Read and validate the policy file."""
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))

    @model_validator(mode="after")
    def _references_exist(self) -> Policy:
        """Every protocol, instruction and drug class a rule names is defined (a typo fails at load)."""
        protocols = {p for f in [*self.red_flags, *self.urgent_flags] if (p := f.protocol)}
        protocols |= {p for r in self.readings if (p := r.protocol)}
        if self.overdose:
            protocols |= {self.overdose.protocol, self.overdose.severe_protocol}
        if self.hypoglycemia:
            protocols |= {self.hypoglycemia.protocol}
            protocols |= {p for p in [self.hypoglycemia.by_mouth_unsafe_protocol] if p}
        missing = protocols - set(self.protocols)
        instructions = {f.instructions for f in self.red_flags if f.instructions}
        instructions |= {c.instructions for c in self.combinations}
        missing |= instructions - set(self.emergency_instructions)
        classes = {c for f in self.red_flags if (c := f.requires_drug_class)}
        classes |= {c for combo in self.combinations if (c := combo.requires_drug_class)}
        classes |= set(self.overdose.severe_drug_classes if self.overdose else ())
        classes |= {c for c in [self.hypoglycemia and self.hypoglycemia.suspect_drug_class] if c}
        missing |= classes - set(self.drug_classes)
        if missing:
            raise ValueError(f"policy names undefined protocols/instructions/drug classes: {sorted(missing)}")
        return self

    def flag(self, flag_id: str) -> Flag | None:
        """The red or urgent flag with this id."""
        return next((f for f in [*self.red_flags, *self.urgent_flags] if f.id == flag_id), None)

    def instructions(self, key: str | None) -> str:
        """An emergency instruction text by key (default: call 911)."""
        return self.emergency_instructions.get(key or "call_911") or self.emergency_instructions["call_911"]
