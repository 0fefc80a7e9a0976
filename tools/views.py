"""Typed, read-only views of the FHIR resources the agent reads, each keeping its source for citation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from tools.clock import Clock


class SourceResource(BaseModel):
    """A resource exactly as the EHR returned it: the citation target of every fact read from it."""

    model_config = ConfigDict(frozen=True)

    resource_type: str
    id: str
    json_body: dict[str, Any]
    """Raw FHIR JSON at the EHR boundary; views below are the typed face the agent uses."""

    @property
    def reference(self) -> str:
        """`Type/id`, the form citations use."""
        return f"{self.resource_type}/{self.id}"

    @property
    def last_updated(self) -> str | None:
        """`meta.lastUpdated` when the server recorded one."""
        meta = self.json_body.get("meta")
        return str(meta.get("lastUpdated")) if isinstance(meta, dict) and meta.get("lastUpdated") else None


class View(BaseModel):
    """Common base: every view knows the resource it was read from."""

    model_config = ConfigDict(frozen=True)

    source: SourceResource

    @property
    def reference(self) -> str:
        """`Type/id` of the underlying resource."""
        return self.source.reference


class PatientSummary(View):
    """Who the session is about."""

    name: str
    birth_date: date | None
    sex: str | None


class Medication(View):
    """An active (or historical) prescription as the patient would describe it."""

    name: str
    rxnorm: str | None
    status: str
    dosage: str | None
    refills_allowed: int | None
    validity_end: date | None
    authored_on: date | None
    quantity: str | None

    def refill_expired(self, clock: Clock) -> bool:
        """Whether the prescription's validity period ended before the clinic's today (CARECOORD_NOW aware)."""
        return self.validity_end is not None and self.validity_end < clock.today()


class Condition(View):
    """A problem-list entry."""

    name: str
    icd10: str | None
    clinical_status: str | None
    onset: date | None


class Allergy(View):
    """An allergy or intolerance."""

    substance: str
    reactions: tuple[str, ...]
    criticality: str | None


class Immunization(View):
    """A vaccination the record says was given."""

    vaccine: str
    cvx: str | None
    occurred: date | None
    status: str | None


class Observation(View):
    """A lab result or vital sign with its date."""

    name: str
    loinc: str | None
    value: str
    unit: str | None
    effective: datetime | None
    category: str | None


class Appointment(View):
    """A past or upcoming visit."""

    start: datetime | None
    end: datetime | None
    status: str
    practitioner: str | None
    specialty: str | None
    description: str | None


class Slot(View):
    """A bookable time on a clinician's schedule."""

    start: datetime
    end: datetime
    practitioner: str | None
    practitioner_ref: str | None
    specialty: str | None
    schedule_ref: str


class CarePlan(View):
    """An active plan of care and its activities."""

    title: str
    status: str
    activities: tuple[str, ...]
    period_start: date | None
