"""Readings in messages: numbers, units, comparisons, and the concept they measure."""

from __future__ import annotations

import pytest

from agent.language import Quantity, analyze


def readings(text: str) -> list[Quantity]:
    return list(analyze(text).quantities)


@pytest.mark.parametrize(
    ("text", "value", "value2", "unit", "comparator", "concept"),
    [
        ("I feel shaky and sweaty, my sugar is 62", 62, None, None, None, "glucose"),
        ("please record my BP 118/77", 118, 77, None, None, "blood_pressure"),
        ("fever of 104 with a stiff neck", 104, None, None, None, "fever"),
        ("fever of 104F", 104, None, "[degF]", None, "fever"),
        ("temp 38.5 °C", 38.5, None, "Cel", None, "temperature"),
        ("my glucose was 62mg/dl this morning", 62, None, "mg/dL", None, "glucose"),
        ("sugar 5.5 mmol/L", 5.5, None, "mmol/L", None, "glucose"),
        ("if my sugar goes below 70 what do I do", 70, None, None, "<", "glucose"),
        ("my weight went up to 212 lbs", 212, None, "[lb_av]", "<=", "weight"),
        ("blood sugar over 300 mg/dL", 300, None, "mg/dL", ">", "glucose"),
        ("heart rate 52 bpm", 52, None, "/min", None, "heart_rate"),
        ("A1c of 7.2%", 7.2, None, "%", None, "a1c"),
        ("I weigh 82 kg", 82, None, "kg", None, "weight"),
        ("pressure reading 150/95 mmHg", 150, 95, "mm[Hg]", None, "blood_pressure"),
    ],
)
def test_readings(
    text: str, value: float, value2: float | None, unit: str | None, comparator: str | None, concept: str
) -> None:
    [reading] = readings(text)
    assert (reading.value, reading.value2, reading.unit, reading.comparator, reading.concept_id) == (
        value,
        value2,
        unit,
        comparator,
        concept,
    )
    assert text[reading.start : reading.end] == reading.text


@pytest.mark.parametrize(
    "text",
    [
        "crushing pain in my chest for 20 minutes",
        "I have type 2 diabetes",
        "my PHQ-9 score",
        "what was my sugar on November 12, 2023",
        "take 2nd dose",
    ],
)
def test_numbers_that_are_not_readings(text: str) -> None:
    assert readings(text) == []


def test_a_number_far_from_any_concept_has_no_owner() -> None:
    [reading] = readings("I walked 5000 steps")
    assert reading.concept_id is None and reading.value == 5000


def test_two_readings_attach_to_their_own_concepts() -> None:
    found = readings("BP 118/77 and sugar is 62")
    assert [(q.value, q.concept_id) for q in found] == [(118, "blood_pressure"), (62, "glucose")]


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("is 140/90 too high for me", "blood_pressure"),
        ("220 over 130 and a headache", "blood_pressure"),  # a symptom has no pair of numbers
        ("my sugar was 150/160 today", "glucose"),  # a named measurement keeps its reading
        ("see you 12/14", None),  # top below bottom: a date, not a pressure
        ("I ate 1/2 a sandwich", None),
    ],
)
def test_an_unnamed_pair_of_numbers_reads_as_a_blood_pressure(text: str, concept: str | None) -> None:
    [quantity] = analyze(text).quantities
    assert quantity.concept_id == concept
