"""The patient-visible lines of a thread, typed: who said it, what, and — for the care team — which decision.

The agent writes them (`respond` for the patient and the assistant, `wait` when a clinician's decision is
delivered); review and the API read them through the agent's services, never by parsing text. `shown()`
is the one place a line becomes the "speaker: text" string the console and `review show` print.
"""

from __future__ import annotations

from typing import Literal

from agent.models import Decision, Frozen

Speaker = Literal["patient", "assistant", "care_team"]
LABELS: dict[Speaker, str] = {"patient": "patient", "assistant": "assistant", "care_team": "care team"}
"""How each speaker is labelled where a line is shown as text."""


class TranscriptLine(Frozen):
    """One line of the conversation as the patient saw it."""

    speaker: Speaker
    text: str
    decision: Decision | None = None
    """On care-team lines: the clinician's decision this line delivered (item, outcome, clinician)."""

    def shown(self) -> str:
        """The line as text, e.g. "care team: Your care team (Dr. Lee) approved: …"."""
        return f"{LABELS[self.speaker]}: {self.text}"

    def delivers(self, escalation_id: str) -> bool:
        """Whether this line is the care team's decision on `escalation_id`."""
        return self.decision is not None and self.decision.escalation_id == escalation_id


def legacy_line(line: str | TranscriptLine) -> TranscriptLine:
    """A line from a checkpoint written before lines were typed (plain "speaker: text" strings).

    Threads started by an earlier release keep their history; such care-team lines carry no decision.
    """
    if isinstance(line, TranscriptLine):
        return line
    for speaker, label in LABELS.items():
        if line.startswith(f"{label}: "):
            return TranscriptLine(speaker=speaker, text=line.removeprefix(f"{label}: "))
    return TranscriptLine(speaker="assistant", text=line)
