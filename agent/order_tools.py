"""Tools for what the patient asks to have done beyond refills and bookings, and demographic facts.

A test order becomes a draft ServiceRequest, a reading a preliminary Observation, a medicine that is not
on file a message to the care team with the patient's words: each reaches a clinician, none is dropped.
Age and date of birth are read from the Patient resource; age is computed on the clinic's clock.
"""

from __future__ import annotations

from datetime import date

from agent.models import Fact
from tools import views
from tools.ages import age_on
from tools.clock import Clock
from tools.concepts.observations import ObservationConcept, observation_table
from tools.drafts import Draft
from tools.record import PatientRecord


def _day(value: date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def concept_named(name: str) -> ObservationConcept | None:
    """The lab or vital a tool argument names: a concept id ("potassium") or any of its names ("BP")."""
    table = observation_table()
    if name in table.concepts:
        return table.concepts[name]
    return table.find(name)


def lab_order(record: PatientRecord, test: str, reason: str, key: str) -> Draft:
    """A draft lab order, the test named as the concept table's friendly name when it knows it."""
    concept = concept_named(test)
    return record.draft_lab_order(concept.friendly if concept else test, reason, request_key=key)


def _numbers(value: str) -> list[float]:
    try:
        return [float(part) for part in value.replace(" ", "").split("/") if part]
    except ValueError:
        return []


def reading(record: PatientRecord, name: str, value: str, unit: str, clock: Clock, key: str) -> Draft | None:
    """A patient-reported reading, taken now; None when the measurement or the number is not understood.

    A panel (blood pressure) with two numbers ("118/77") is drafted with its components.
    """
    concept = concept_named(name)
    numbers = _numbers(value)
    if concept is None or not numbers:
        return None
    table = observation_table()
    unit = unit or concept.unit
    parts = [table.get(c) for c in concept.components]
    if parts and len(numbers) == len(parts):
        components = [(p.loinc[0], p.display, n) for p, n in zip(parts, numbers, strict=True)]
        return record.draft_reading(
            concept.display, concept.loinc[0], numbers[0], unit, clock.now(), key, components=components
        )
    if len(numbers) != 1 or parts:
        return None
    return record.draft_reading(concept.display, concept.loinc[0], numbers[0], unit, clock.now(), key)


def demographic_facts(summary: views.PatientSummary, fact: str, clock: Clock) -> list[Fact]:
    """Date of birth, and age on the clinic's clock, citing the Patient resource."""
    if summary.birth_date is None:
        return []
    born = summary.birth_date
    title = "Your record"
    if fact == "age":
        years = age_on(born, clock.today())
        text = f"You are {years} years old, going by the date of birth in your record ({_day(born)})."
    else:
        text = f"Your record gives your date of birth as {_day(born)}."
    return [Fact(text=text, source=summary.source, title=title)]
