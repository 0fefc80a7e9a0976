"""What a message says, clinically, as the screen needs it: current concepts, medicines, readings.

Built from the language pipeline's `Analysis` (spaCy targets + ConText), so "a history of heart attack"
or "no chest pain" never count as current, while a caregiver's "his face is drooping" does.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.language import Analysis, Mention, Quantity

CLINICAL_KINDS = ("symptom", "condition", "red_flag", "lab_or_vital", "medication", "allergy")
"""Kinds that make a message clinical; a message with none of them can never be an emergency."""
REPORT_KINDS = ("symptom", "red_flag", "allergy")
"""Kinds that report something happening to someone; a condition's or medicine's name alone is usually a
topic ("what's sepsis?", "running out of my inhaler"). So is a lab's or vital's name alone ("how is my hgb",
"set me up with a lipid panel"): it reports only with a reading or beside a stated condition (`reports_now`)."""
ASSERTED_KINDS = ("symptom", "condition", "red_flag")


@dataclass(frozen=True)
class Findings:
    """The clinical content of one message."""

    analysis: Analysis
    current: frozenset[str]
    """Concept ids of symptoms, conditions and red flags asserted now (anyone's: caregivers count)."""
    red_flags: tuple[Mention, ...]
    """Current red-flag mentions (policy flag ids), in text order."""
    medications: frozenset[str]
    """Generic names (or medication words like `blood_thinner`) the message says are taken, not negated."""
    readings: tuple[Quantity, ...]
    """Numbers attached to a lab or vital ("sugar is 62", "190/125") whose mention is current."""

    @property
    def clinical(self) -> bool:
        """Whether the message names any recognised clinical concept at all."""
        return any(m.kind in CLINICAL_KINDS for m in self.analysis.mentions)

    @property
    def reports_now(self) -> bool:
        """Whether a symptom, flag, reading or allergy is asserted now (not only negated, past, asked about).

        A current lab or vital counts when the message gives a reading or asserts a condition now ("sugar is
        low" is hypoglycemia); its bare name is the topic of a question or an order, and the exemplar
        classifier must not judge it (short names like "hgb" sit close to anything by their letters).
        """
        said = bool(self.readings) or bool(self.current)
        return any(
            m.current and (m.kind in REPORT_KINDS or (m.kind == "lab_or_vital" and said))
            for m in self.analysis.mentions
        )


def findings(analysis: Analysis) -> Findings:
    """Collect the current concepts, medicines and readings of an analysed message."""
    mentions = analysis.mentions
    current = frozenset(m.concept_id for m in mentions if m.current and m.kind in ASSERTED_KINDS)
    current_vitals = {m.concept_id for m in mentions if m.current and m.kind == "lab_or_vital"}
    named = {m.concept_id for m in mentions}  # a reading of a concept never named is a bare "150/95"
    medications = frozenset(
        part for m in mentions if m.kind == "medication" and m.current for part in m.concept_id.split("+")
    )
    return Findings(
        analysis=analysis,
        current=current,
        red_flags=tuple(m for m in mentions if m.current and m.kind == "red_flag"),
        medications=medications,
        readings=tuple(
            q
            for q in analysis.quantities
            if q.concept_id in current_vitals or (q.kind == "lab_or_vital" and q.concept_id not in named)
        ),
    )
