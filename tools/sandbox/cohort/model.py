"""What the generator hands to the loader and to tests: FHIR JSON plus the facts behind it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

FhirResource = dict[str, Any]
"""One FHIR R4 resource as JSON, ready to PUT. Dicts only at this FHIR wire boundary."""

AgeBand = Literal["18-39", "40-64", "65+"]
Sex = Literal["female", "male"]

# The order a loader writes types in, so every reference points at something already stored.
# Appointments precede Encounters (an Encounter names its Appointment) and carry their reason
# as text, not as a Condition reference, so the order has no cycle.
TYPE_ORDER = (
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Schedule",
    "Slot",
    "Patient",
    "Appointment",
    "Encounter",
    "Condition",
    "AllergyIntolerance",
    "Observation",
    "DiagnosticReport",
    "Immunization",
    "MedicationRequest",
    "CarePlan",
)


@dataclass(frozen=True, kw_only=True)
class CohortPatient:
    """One synthetic patient: the demographics evaluations stratify by, and their record."""

    id: str
    name: str
    birth_date: date
    sex: Sex
    age_band: AgeBand
    race: str
    ethnicity: str
    problems: tuple[str, ...]
    """Problem keys from `problems.PROBLEMS` (e.g. "diabetes", "afib"), in catalog order."""
    resources: tuple[FhirResource, ...]
    """Every resource whose subject is this patient, the Patient itself included."""
    coding: Literal["loinc", "local", "text"] = "loinc"
    """How the record codes labs and vitals: LOINC, the clinic lab's local codes, or text-only abbreviations."""


@dataclass(frozen=True, kw_only=True)
class Cohort:
    """A deterministic clinic: staff, calendars and patients, all as FHIR JSON."""

    seed: int
    today: date
    clinic: tuple[FhirResource, ...]
    """Organization, Practitioners, PractitionerRoles, Schedules and Slots."""
    patients: tuple[CohortPatient, ...]

    def resources(self) -> list[FhirResource]:
        """Every resource, ordered so that references point backwards (see TYPE_ORDER)."""
        everything = [*self.clinic, *(r for p in self.patients for r in p.resources)]
        rank = {name: position for position, name in enumerate(TYPE_ORDER)}
        return sorted(everything, key=lambda r: rank.get(r["resourceType"], len(rank)))

    def counts(self) -> dict[str, int]:
        """How many resources of each type the cohort holds."""
        return dict(Counter(r["resourceType"] for r in self.resources()))
