"""The graph's state: one patient thread, carried across turns by the checkpointer."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.models import (
    ComposedAnswer,
    Decision,
    EscalationRef,
    Evidence,
    Grounding,
    Plan,
    Retrieval,
    ScreenResult,
)
from agent.transcript import TranscriptLine, legacy_line
from tools.record import ToolCall


@dataclass(frozen=True)
class Exchange:
    """A finished turn, kept for multi-turn memory ("and the other one?")."""

    question: str
    answer: str
    intent: str | None
    target: str | None
    mentioned: tuple[str, ...] = ()
    """Names this turn talked about (medications, specialties), in order, for follow-up resolution."""
    lab_concept: str | None = None
    """The lab or vital concept id this turn's record query searched, for "and the one before that?"."""
    lab_back: int = 0
    """How many results before the latest this turn showed of that lab (0: the latest)."""
    lab_start: str | None = None
    lab_end: str | None = None
    """The window (ISO 8601 bounds) this turn's lab search was limited to ("yesterday"), for "and the lowest?"."""


@dataclass(kw_only=True)
class TurnState:
    """Per-thread state. Turn fields are reset by `screen` at the start of every patient message."""

    question: str = ""
    """The patient's current message."""
    history: list[Exchange] = field(default_factory=list)
    pending: list[EscalationRef] = field(default_factory=list)
    """Escalations still awaiting a clinician, resumed into this thread by `Command(resume=...)`."""
    transcript: list[TranscriptLine] = field(default_factory=list)
    """Patient-visible lines, in order, including care-team decisions delivered later."""

    screen: ScreenResult | None = None
    plan: Plan | None = None
    evidence: Evidence | None = None
    retrieval: Retrieval | None = None
    """This turn's knowledge search, when it ran (None: the plan needed no guidance)."""
    answer: ComposedAnswer | None = None
    final_text: str = ""
    grounding: Grounding | None = None
    escalation: EscalationRef | None = None
    decision: Decision | None = None
    act_notes: list[str] = field(default_factory=list)
    """Procedural outcomes of the tools (keys of `prompts/responses.yaml`)."""
    mentioned: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    steps: int = 0
    reasoner: str = "offline"

    def __post_init__(self) -> None:
        # Checkpoints written before lines were typed hold "speaker: text" strings.
        if any(not isinstance(line, TranscriptLine) for line in self.transcript):
            self.transcript = [legacy_line(line) for line in self.transcript]
