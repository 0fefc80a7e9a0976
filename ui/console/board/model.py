"""The patient board's typed content: series of dated readings per concept, grouped into charts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tools import views
from tools.concepts.observations import ReferenceRange
from ui.console.board.duplicates import DuplicateFlag


@dataclass(frozen=True)
class Reading:
    """One dated numeric value in the concept's canonical unit, with the resource it came from."""

    when: datetime
    value: float
    reference: str
    """`Observation/<id>`: what the chart point and the table cell link to."""


@dataclass(frozen=True)
class Series:
    """One concept's readings, oldest first (systolic and diastolic are two series of one chart)."""

    concept_id: str
    label: str
    unit: str
    range: ReferenceRange | None
    readings: tuple[Reading, ...]

    @property
    def latest(self) -> Reading | None:
        """The newest reading."""
        return self.readings[-1] if self.readings else None

    @property
    def latest_out_of_range(self) -> bool:
        """Whether the newest reading lies outside the reference range."""
        latest = self.latest
        return latest is not None and self.range is not None and not self.range.contains(latest.value)


@dataclass(frozen=True)
class Chart:
    """A concept charted over time: one series, or one per component of a panel."""

    concept_id: str
    title: str
    series: tuple[Series, ...]


@dataclass(frozen=True)
class ChartGroupView:
    """A board group (Diabetes, Heart, …) with the charts the patient has readings for."""

    title: str
    charts: tuple[Chart, ...]
    missing: tuple[str, ...] = ()
    """Friendly names of the group's concepts with no reading in the window."""


@dataclass(frozen=True)
class PatientBoard:
    """Everything the board page draws for one patient, read through the FHIR gateway."""

    summary: views.PatientSummary
    age: int | None
    groups: tuple[ChartGroupView, ...]
    medications: tuple[views.Medication, ...]
    duplicates: dict[str, DuplicateFlag]
    conditions: tuple[views.Condition, ...]
    allergies: tuple[views.Allergy, ...]
    appointments: tuple[views.Appointment, ...]
    readings: int
    """Observations read for the charts."""
    truncated: bool
    """True when the window held more observations than one view reads (older ones left out)."""
    warnings: tuple[str, ...] = field(default=())
