"""Which medicine classes a message names or the patient takes.

The record is asked at most once, and only when a rule needs a class (bleeding on a blood thinner, an
overdose of a sedative).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from agent.safety.findings import Findings
from agent.safety.policy import Policy

if TYPE_CHECKING:  # the graph imports this module's names; spaCy loads with the first screen
    from spacy.language import Language

MedicationNames = Callable[[], Sequence[str]]
"""The patient's active medication names, asked for only when a flag needs a drug class."""


class MedicationsUnknown(LookupError):
    """The record could not say what the patient takes: a flag needing a drug class then fires."""


class DrugClasses:
    """Which medicine classes the message names or the patient takes (the record asked at most once)."""

    def __init__(
        self, policy: Policy, nlp: Language, found: Findings, patient: MedicationNames | None
    ) -> None:
        self.policy = policy
        self.nlp = nlp
        self.found = found
        self.patient = patient
        self._taken: frozenset[str] | None = None

    def named(self, name: str) -> bool:
        """Whether the message itself names a medicine of class `name` (not negated)."""
        return bool(self.found.medications.intersection(self.policy.drug_classes.get(name, ())))

    def has(self, name: str) -> bool:
        """Whether the message names one or the record lists one (or cannot say: the emergency wins)."""
        if self.named(name):
            return True
        try:
            taken = self.taken()
        except MedicationsUnknown:
            return True
        return bool(taken.intersection(self.policy.drug_classes.get(name, ())))

    def taken(self) -> frozenset[str]:
        """Generic names of the patient's medications (none without a record)."""
        if self._taken is None:
            from agent.language import analyze  # loaded by the screen already; kept off import time

            names = list(self.patient()) if self.patient is not None else []
            analysis = analyze(". ".join(names), nlp=self.nlp) if names else None
            self._taken = frozenset(
                part
                for m in (analysis.of_kind("medication") if analysis else ())
                for part in m.concept_id.split("+")
            )
        return self._taken
