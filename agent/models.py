"""The typed vocabulary of a turn: intents, plans, evidence, answers, escalations and decisions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge.passage import Passage
from tools.drafts import Draft
from tools.views import SourceResource

Intent = Literal[
    "medication_list",
    "refill",
    "medication_question",
    "missed_dose",
    "lab_result",
    "next_appointment",
    "book",
    "cancel_reschedule",
    "referral",
    "care_plan",
    "condition_self_care",
    "symptom_report",
    "general_question",
    "greeting",
    "out_of_scope",
]
EscalationLevel = Literal["routine", "urgent", "emergent"]
EscalationKind = Literal["action_approval", "clinical_question", "emergency", "low_confidence"]
EscalationStatus = Literal["pending", "approved", "rejected", "answered", "notified", "expired"]
ReadTool = Literal[
    "patient_summary",
    "active_medications",
    "conditions",
    "allergies",
    "observations",
    "upcoming_appointments",
    "past_appointments",
    "care_plans",
    "free_slots",
]
DraftTool = Literal["draft_refill", "draft_booking", "draft_referral", "draft_message"]


class Frozen(BaseModel):
    """Base for immutable turn data (safe to share between nodes and checkpoints)."""

    model_config = ConfigDict(frozen=True)


class ScreenResult(Frozen):
    """What the safety screen found before anything else ran."""

    red_flag: str | None = None
    """Policy id of the emergency found, e.g. `chest-pain`."""
    level: EscalationLevel | None = None
    instructions: str | None = None
    """The emergency text the answer must start with."""
    refusal: Literal["other_patient", "prompt_injection", "dose_change"] | None = None
    urgent_flag: str | None = None
    matched: str | None = None
    """The phrase or exemplar that decided it, for the trace."""


class ToolRequest(Frozen):
    """One tool the plan wants run, with arguments the model may choose (never a patient id)."""

    tool: ReadTool | DraftTool
    args: dict[str, str] = Field(default_factory=dict)


class Plan(Frozen):
    """What the reasoner decided to look up or do this turn."""

    intent: Intent
    confidence: float
    tools: tuple[ToolRequest, ...] = ()
    needs_guidance: bool = False
    guidance_query: str | None = None
    target: str | None = None
    """The thing the patient means (a medication, specialty, date), resolved against their record."""
    reasoner: str = "offline"


class Fact(Frozen):
    """A record fact a tool returned, already phrased, citing the resource it came from."""

    text: str
    source: SourceResource
    title: str
    """Citation label, e.g. "Your medication list, updated 2026-11-01"."""


class Evidence(Frozen):
    """Everything the composer may use: record facts, drafted actions and guidance passages."""

    facts: tuple[Fact, ...] = ()
    drafts: tuple[Draft, ...] = ()
    passages: tuple[Passage, ...] = ()
    abstain: bool = False
    """Retrieval found nothing relevant enough to quote."""
    tool_errors: tuple[str, ...] = ()
    knowledge_unavailable: bool = False
    """The knowledge index could not be reached, so no guidance could be looked up."""


class Citation(Frozen):
    """A numbered source in the answer."""

    n: int
    kind: Literal["knowledge", "fhir"]
    id: str
    title: str
    quote: str


class AnswerSentence(Frozen):
    """One sentence of an answer and the citations that must support it."""

    text: str
    cites: tuple[int, ...] = ()
    safety: bool = False
    """Emergency text from policy: always first, never removed by the verifier."""
    procedural: bool = False
    """A fixed sentence from `prompts/responses.yaml` that states no medical fact and needs no citation."""


class ComposedAnswer(Frozen):
    """The composer's output before verification."""

    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    substantive: bool = True
    """False when the answer only says it cannot help (an abstention or refusal)."""


class Grounding(Frozen):
    """The verifier's tally for the `grounding` field."""

    sentences: int = 0
    supported: int = 0
    removed: int = 0


class EscalationRef(Frozen):
    """An item in the clinician review queue, as the patient's turn knows it."""

    id: str
    level: EscalationLevel
    kind: EscalationKind
    status: EscalationStatus
    summary: str = ""


class Decision(Frozen):
    """A clinician's decision on an escalation, delivered to the patient's thread on resume."""

    escalation_id: str
    outcome: Literal["approved", "rejected", "answered", "acknowledged"]
    clinician: str
    note: str = ""
    text: str = ""
    """For `answered`: the clinician's reply to the patient."""
    action_summary: str = ""
