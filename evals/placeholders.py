"""`{{patient.*}}` placeholders: suites name record facts, the run fills them from the record.

A suite that says `"facts": ["{{patient.next_appointment_date}}"]` stays true when the cohort is
re-seeded. Each value has two forms: plain text for messages ("refill my metformin") and a regex for
facts, loose enough for the ways a correct answer may write it (a date as "December 21, 2026",
"Dec 21" or "2026-12-21"; an A1C of 8 as "8" or "8.0" but never "8.4").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TypeVar

from evals.record_facts import RecordFacts, is_record_placeholder

T = TypeVar("T")
PLACEHOLDER = re.compile(r"\{\{\s*patient\.(\w+)\s*\}\}")
PLACEHOLDER_NAMES = frozenset(
    {"name", "given", "family", "next_appointment_date", "medications", "first_medication", "last_a1c"}
)


def is_known(name: str) -> bool:
    """Whether `name` is a placeholder: a fixed name, or a record fact (`evals.record_facts`)."""
    return name in PLACEHOLDER_NAMES or is_record_placeholder(name)


def unknown_placeholders(text: str) -> set[str]:
    """The placeholder names in `text` that no record could fill (typos)."""
    return {name for name in placeholders_in(text) if not is_known(name)}


class PlaceholderUnavailable(LookupError):
    """The patient's record has nothing to fill a placeholder with (no appointment, no A1C...)."""


def placeholders_in(text: str) -> set[str]:
    """The placeholder names used in `text`."""
    return set(PLACEHOLDER.findall(text))


@dataclass(frozen=True)
class PatientFacts:
    """What placeholders can say about one patient, read from the record at run time."""

    name: str
    given: str
    family: str
    next_appointment: date | None
    medications: tuple[str, ...]
    """Active medication names (the ingredient part, e.g. "insulin glargine"), newest first."""
    last_a1c: str | None
    """The newest hemoglobin A1c value as recorded, e.g. "8.4"."""
    results: Callable[[], RecordFacts] | None = field(default=None, compare=False)
    """Reads the patient's results when a record placeholder first needs them (`evals.record_facts`)."""

    @cached_property
    def _record(self) -> RecordFacts | None:
        return self.results() if self.results is not None else None

    def can_fill(self, names: frozenset[str]) -> bool:
        """Whether every placeholder in `names` has a value in this record."""
        fixed = names & PLACEHOLDER_NAMES
        if not fixed <= self.available():
            return False
        record = self._record
        rest = names - PLACEHOLDER_NAMES
        return not rest or (record is not None and all(record.value(n) is not None for n in rest))

    def _record_value(self, name: str) -> tuple[str, str]:
        record = self._record
        found = record.value(name) if record is not None and is_record_placeholder(name) else None
        if found is None:
            raise PlaceholderUnavailable(f"the record has no value for patient.{name}")
        return found

    def available(self) -> frozenset[str]:
        """Placeholder names this record can fill."""
        names = {"name", "given", "family"}
        if self.next_appointment is not None:
            names.add("next_appointment_date")
        if self.medications:
            names |= {"medications", "first_medication"}
        if self.last_a1c is not None:
            names.add("last_a1c")
        return frozenset(names)

    def text(self, name: str) -> str:
        """The plain-text value, for messages."""
        match name:
            case "name":
                return self.name
            case "given":
                return self.given
            case "family":
                return self.family
            case "next_appointment_date":
                day = self._need(self.next_appointment, name)
                return f"{day:%B} {day.day}, {day.year}"
            case "medications":
                return ", ".join(self._need(self.medications or None, name))
            case "first_medication":
                return self._need(self.medications or None, name)[0]
            case "last_a1c":
                return self._need(self.last_a1c, name)
        return self._record_value(name)[0]

    def regex(self, name: str) -> str:
        """The regex value, for facts: a non-capturing group of accepted spellings."""
        match name:
            case "next_appointment_date":
                day = self._need(self.next_appointment, name)
                forms = [
                    f"{day:%B} {day.day}(?:st|nd|rd|th)?,? {day.year}",
                    f"{day:%b}\\.? {day.day}(?:st|nd|rd|th)?(?:,? {day.year})?",
                    day.isoformat(),
                    f"{day.month}/{day.day}/{day.year}",
                ]
                return "(?:" + "|".join(forms) + ")"
            case "medications":
                names = self._need(self.medications or None, name)
                return "(?:" + "|".join(re.escape(n) for n in names) + ")"
            case "last_a1c":
                value = self._need(self.last_a1c, name)
                whole = value[:-2] if value.endswith(".0") else value
                tail = r"(?:\.0+)?" if "." not in whole else ""
                return rf"(?<![\d.]){re.escape(whole)}{tail}(?!\.?\d)"
        if name not in PLACEHOLDER_NAMES:
            return self._record_value(name)[1]
        return re.escape(self.text(name))

    @staticmethod
    def _need(value: T | None, name: str) -> T:
        if value is None:
            raise PlaceholderUnavailable(f"the record has no value for patient.{name}")
        return value


def fill_text(text: str, facts: PatientFacts) -> str:
    """Replace placeholders with plain text (messages)."""
    return PLACEHOLDER.sub(lambda m: facts.text(m.group(1)), text)


def fill_regex(pattern: str, facts: PatientFacts) -> str:
    """Replace placeholders with regex alternatives (facts, not_facts)."""
    return PLACEHOLDER.sub(lambda m: facts.regex(m.group(1)), pattern)


def ingredient(medication_name: str) -> str:
    """The name a patient uses: "metformin 500 mg oral tablet" -> "metformin"."""
    head = re.split(r"\s\d", medication_name, maxsplit=1)[0].strip()
    return head or medication_name
