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
EscalationStatus = Literal["pending", "approved", "rejected", "answered", "notifying", "notified", "expired"]
ReadTool = Literal[
    "patient_summary",
    "active_medications",
    "conditions",
    "allergies",
    "immunizations",
    "observations",
    "upcoming_appointments",
    "past_appointments",
    "care_plans",
    "free_slots",
]
DraftTool = Literal[
    "draft_refill", "draft_booking", "draft_referral", "draft_message", "draft_lab_order", "draft_reading"
]


class Frozen(BaseModel):
    """Base for immutable turn data (safe to share between nodes and checkpoints)."""

    model_config = ConfigDict(frozen=True)


class ScreenResult(Frozen):
    """What the safety screen found before anything else ran."""

    red_flag: str | None = None
    """Policy id of the emergency found, e.g. `chest-pain`."""
    level: EscalationLevel | None = None
    instructions: str | None = None
    """The emergency or protocol text the answer must start with."""
    protocol: str | None = None
    """The `policy.yaml` protocol whose text `instructions` starts with (`hypoglycemia`, `poison_control`)."""
    refusal: Literal["other_patient", "prompt_injection", "dose_change"] | None = None
    urgent_flag: str | None = None
    matched: str | None = None
    """The phrase or exemplar that decided it, for the trace."""


class ToolRequest(Frozen):
    """One tool the plan wants run, with arguments the model may choose (never a patient id)."""

    tool: ReadTool | DraftTool
    args: dict[str, str] = Field(default_factory=dict)
    other_than: tuple[str, ...] | None = None
    """For "the other one": the names the conversation already mentioned, which the patient does not mean
    (None: not such a follow-up).
    Set by the reasoner from the thread's history, never by the model (not part of any tool schema)."""


class Plan(Frozen):
    """What the reasoner decided to look up or do this turn."""

    intent: Intent
    confidence: float
    tools: tuple[ToolRequest, ...] = ()
    needs_guidance: bool = False
    guidance_query: str | None = None
    target: str | None = None
    """The thing the patient means (a medication, specialty, date), resolved against their record."""
    notes: tuple[str, ...] = ()
    """Procedural outcomes the planner already knows (`not_recognised`), said like the tools' notes."""
    reasoner: str = "offline"


class Fact(Frozen):
    """A record fact a tool returned, already phrased, citing the resource it came from."""

    text: str
    source: SourceResource
    title: str
    """Citation label, e.g. "Your medication list, updated 2026-11-01"."""
    components: tuple[SourceResource, ...] = ()
    """For a derived number (an average, a change): every reading it was computed from, so the verifier
    can recompute it; `source` is then the newest of them."""


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
    conditions: tuple[str, ...] = ()
    """The patient's own conditions (keys of `condition_topics.yaml`) that the passages are about: the
    composer quotes first what speaks to them."""


class Retrieval(Frozen):
    """What this turn's knowledge search found: typed, for evals and reports (the trace is for people)."""

    passages: int = 0
    abstain: bool = False
    """Nothing relevant enough to quote, or the question names something neither corpus nor record has."""
    best_score: float = 0.0
    unknown: tuple[str, ...] = ()
    """Terms of the question that neither the corpus nor the patient's record mentions."""
    unavailable: bool = False
    """The index could not be reached: nothing was searched (so this is no abstention)."""

    @property
    def abstained(self) -> bool:
        """Whether the search ran and judged its evidence too weak to answer from."""
        return self.abstain and not self.unavailable


class Citation(Frozen):
    """A numbered source in the answer."""

    n: int
    kind: Literal["knowledge", "fhir"]
    id: str
    title: str
    quote: str
    values: str = ""
    """A record source's key values as the EHR holds them ("Potassium · 4.3 mmol/L · 2026-10-01 · final"),
    shown when the patient opens the source, instead of the answer's own sentence again."""


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
    """Removed by either stage (the offline verifier, then the judge)."""
    judged: int = 0
    """Sentences the second stage (Claude's entailment judge) read; 0 when it did not run."""
    judge_removed: int = 0
    """Of `removed`, the sentences the offline verifier passed and the judge rejected."""


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
