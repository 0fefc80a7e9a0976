"""Who each chat item talks as: patient selectors resolved against the FHIR server at run time.

Suites never hard-code the cohort. A selector (`null`, an id, `{"has_medication": ...}`,
`{"has_condition": ...}`) is matched against the server's current records; among the matches the
item gets the one picked by a hash of its id and the run seed, so items spread over the cohort (and
its subgroups) and a re-run picks the same patients. The directory uses its own gateway: its reads
are the evaluator's, not the agent's, and never count as the agent's cross-patient reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from evals.placeholders import PatientFacts, ingredient
from evals.record_facts import RecordFacts
from evals.suite import HasCondition, HasMedication, HasRecordShape, PatientSelector
from tools import parse
from tools.fhir import FhirGateway
from tools.record import PatientRecord

US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
A1C_LOINC = "4548-4"
LOINC = "http://loinc.org"
SEARCH_LIMIT = 20_000


class SelectorError(LookupError):
    """No patient on the server matches an item's selector (and the placeholders it needs)."""


@dataclass(frozen=True)
class Demographics:
    """The subgroup keys of a patient, read from the Patient resource."""

    sex: str
    age_band: str
    race: str
    ethnicity: str


@dataclass(frozen=True)
class PatientEntry:
    """One patient of the server: id, display name and subgroup keys."""

    id: str
    name: str
    demographics: Demographics


def age_band(birth_date: date | None, today: date) -> str:
    """18-39, 40-64, 65+ (under 18 and unknown kept apart rather than folded in)."""
    if birth_date is None:
        return "unknown"
    age = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    if age < 18:
        return "under 18"
    if age < 40:
        return "18-39"
    if age < 65:
        return "40-64"
    return "65+"


def _us_core_category(resource: Mapping[str, Any], url: str) -> str:
    """The `text` of a US Core race/ethnicity extension, else its OMB category displays."""
    for extension in resource.get("extension") or []:
        if extension.get("url") != url:
            continue
        parts = extension.get("extension") or []
        text = next((p.get("valueString") for p in parts if p.get("url") == "text"), None)
        if text:
            return str(text)
        displays = [
            str((p.get("valueCoding") or {}).get("display"))
            for p in parts
            if p.get("url") == "ombCategory" and (p.get("valueCoding") or {}).get("display")
        ]
        if displays:
            return " / ".join(displays)
    return "unknown"


def demographics(resource: Mapping[str, Any], today: date) -> Demographics:
    """Sex (administrative gender), age band and US Core race and ethnicity of a Patient."""
    return Demographics(
        sex=str(resource.get("gender") or "unknown"),
        age_band=age_band(parse.to_date(resource.get("birthDate")), today),
        race=_us_core_category(resource, US_CORE_RACE),
        ethnicity=_us_core_category(resource, US_CORE_ETHNICITY),
    )


def pick(candidates: Sequence[str], item_id: str, seed: int) -> str:
    """A stable choice among sorted candidates, spread by a hash of the item id and the seed."""
    ordered = sorted(candidates)
    digest = hashlib.sha256(f"{seed}:{item_id}".encode()).digest()
    return ordered[int.from_bytes(digest[:8], "big") % len(ordered)]


def _subject_id(resource: Mapping[str, Any]) -> str | None:
    reference = str((resource.get("subject") or resource.get("patient") or {}).get("reference", ""))
    return (
        reference.rsplit("/", 1)[-1] if reference.startswith("Patient/") or "/Patient/" in reference else None
    )


class PatientDirectory:
    """The server's patients, their subgroup keys, selector matching and placeholder facts (cached)."""

    def __init__(self, gateway: FhirGateway, seed: int = 0, today: date | None = None) -> None:
        self.gateway = gateway
        self.seed = seed
        self.today = today or datetime.now(UTC).date()
        self._patients: dict[str, PatientEntry] | None = None
        self._with_medication: list[tuple[str, str]] | None = None
        self._with_condition: list[tuple[str, str]] | None = None
        self._facts: dict[str, PatientFacts] = {}
        self._shapes: dict[str, tuple[str, int]] | None = None

    def patients(self) -> dict[str, PatientEntry]:
        """Every patient on the server by id."""
        if self._patients is None:
            found = self.gateway.search("Patient", [("_count", "1000")], limit=SEARCH_LIMIT)
            self._patients = {
                str(r["id"]): PatientEntry(
                    id=str(r["id"]), name=parse.human_name(r), demographics=demographics(r, self.today)
                )
                for r in found
            }
        return self._patients

    def entry(self, patient_id: str) -> PatientEntry:
        """One patient; `SelectorError` when the server does not have it."""
        patient = self.patients().get(patient_id)
        if patient is None:
            raise SelectorError(f"patient {patient_id!r} is not on the FHIR server")
        return patient

    def resolve(
        self, selector: PatientSelector, item_id: str, needs: frozenset[str] = frozenset()
    ) -> PatientEntry:
        """The patient an item runs as: matches the selector and can fill the placeholders it needs."""
        if isinstance(selector, str):
            patient = self.entry(selector)
            if not self.facts(patient.id).can_fill(needs):
                raise SelectorError(f"patient {selector} has no value for some of {sorted(needs)}")
            return patient
        candidates = self._matching(selector)
        if needs:
            candidates = [pid for pid in candidates if self.facts(pid).can_fill(needs)]
        if not candidates:
            wanted = f" with {sorted(needs)}" if needs else ""
            raise SelectorError(f"no patient matches {_describe(selector)}{wanted}")
        return self.entry(pick(candidates, item_id, self.seed))

    def facts(self, patient_id: str) -> PatientFacts:
        """What `{{patient.*}}` placeholders say about a patient, read once through its own record."""
        cached = self._facts.get(patient_id)
        if cached is not None:
            return cached
        record = PatientRecord(gateway=self.gateway, patient_id=patient_id)
        resource = self.gateway.read("Patient", patient_id)
        names = resource.get("name") or [{}]
        given = " ".join(names[0].get("given") or []) or parse.human_name(resource)
        upcoming = record.upcoming_appointments(limit=1)
        medications = record.active_medications()
        a1c = record.observations(code=A1C_LOINC, limit=1)
        start = upcoming[0].start if upcoming else None
        facts = PatientFacts(
            name=parse.human_name(resource),
            given=given,
            family=str(names[0].get("family") or ""),
            next_appointment=start.date() if start else None,
            medications=tuple(dict.fromkeys(ingredient(m.name) for m in medications)),
            last_a1c=a1c[0].value if a1c and a1c[0].value else None,
            results=lambda: self.results(patient_id, parse.to_date(resource.get("birthDate"))),
        )
        self._facts[patient_id] = facts
        return facts

    def results(self, patient_id: str, birth_date: date | None) -> RecordFacts:
        """The evaluator's reading of one patient's results (every Observation, however coded)."""
        found = self.gateway.search(
            "Observation", [("subject", f"Patient/{patient_id}"), ("_count", "1000")], limit=SEARCH_LIMIT
        )
        return RecordFacts(found, birth_date, datetime.combine(self.today, datetime.now(UTC).timetz()))

    def shapes(self) -> dict[str, tuple[str, int]]:
        """(coding, Observation count) of every patient with results: how `HasRecordShape` sees them."""
        if self._shapes is None:
            found = self.gateway.search("Observation", [("_count", "1000")], limit=SEARCH_LIMIT)
            kinds: dict[str, set[str]] = {}
            counts: dict[str, int] = {}
            for resource in found:
                pid = _subject_id(resource)
                if pid is None:
                    continue
                counts[pid] = counts.get(pid, 0) + 1
                kinds.setdefault(pid, set()).add(_coding_kind(resource.get("code")))
            self._shapes = {
                pid: (next(k for k in ("text", "local", "loinc") if k in kinds[pid]), counts[pid])
                for pid in counts
            }
        return self._shapes

    def _matching(self, selector: HasMedication | HasCondition | HasRecordShape | None) -> list[str]:
        if selector is None:
            return list(self.patients())
        if isinstance(selector, HasRecordShape):
            known = self.patients()
            return sorted(
                pid
                for pid, (coding, count) in self.shapes().items()
                if pid in known
                and (selector.coding is None or coding == selector.coding)
                and count >= selector.min_observations
            )
        if isinstance(selector, HasMedication):
            needle, pairs = selector.has_medication.lower(), self._medications()
        else:
            needle, pairs = selector.has_condition.lower(), self._conditions()
        known = self.patients()
        return sorted({pid for pid, text in pairs if needle in text and pid in known})

    def _medications(self) -> list[tuple[str, str]]:
        """(patient id, searchable text) of every active MedicationRequest."""
        if self._with_medication is None:
            found = self.gateway.search(
                "MedicationRequest", [("status", "active"), ("_count", "1000")], limit=SEARCH_LIMIT
            )
            self._with_medication = [
                (pid, _concept_words(r.get("medicationCodeableConcept"), parse.medication(r).name))
                for r in found
                if (pid := _subject_id(r)) and r.get("status") == "active"
            ]
        return self._with_medication

    def _conditions(self) -> list[tuple[str, str]]:
        """(patient id, searchable text) of every active Condition."""
        if self._with_condition is None:
            found = self.gateway.search("Condition", [("_count", "1000")], limit=SEARCH_LIMIT)
            pairs = []
            for resource in found:
                condition = parse.condition(resource)
                pid = _subject_id(resource)
                if pid and condition.clinical_status in ("active", "recurrence", "relapse"):
                    pairs.append((pid, _concept_words(resource.get("code"), condition.name)))
            self._with_condition = pairs
        return self._with_condition


def _concept_words(concept: Any, name: str) -> str:
    """Lower-cased text and coding displays of a CodeableConcept, for substring matching."""
    words = [name]
    if isinstance(concept, Mapping):
        words.append(str(concept.get("text") or ""))
        words.extend(str(c.get("display") or "") for c in concept.get("coding") or [])
    return " | ".join(words).lower()


def _coding_kind(code: Any) -> str:
    """`text` (no coding), `local` (a non-LOINC system) or `loinc`, for one Observation.code."""
    codings = code.get("coding") if isinstance(code, Mapping) else None
    if not codings:
        return "text"
    return "loinc" if all(c.get("system") == LOINC for c in codings) else "local"


def _describe(selector: HasMedication | HasCondition | HasRecordShape | None) -> str:
    if selector is None:
        return "any patient"
    if isinstance(selector, HasRecordShape):
        return f"coding={selector.coding!r} min_observations={selector.min_observations}"
    if isinstance(selector, HasMedication):
        return f"has_medication={selector.has_medication!r}"
    return f"has_condition={selector.has_condition!r}"
