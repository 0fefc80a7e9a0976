"""The evaluator's own reading of results: values a record question's answer must state."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from evals.placeholders import PatientFacts, unknown_placeholders
from evals.record_facts import RecordFacts, is_record_placeholder

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def _obs(code: dict[str, object], when: str, value: float, unit: str = "mmol/L") -> dict[str, object]:
    return {"resourceType": "Observation", "code": code, "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": unit}}  # fmt: skip


LOINC_K = {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]}
LOCAL_K = {"coding": [{"system": "http://clinic.example/lab-codes", "code": "K"}], "text": "Potassium"}
TEXT_K = {"text": "K"}
RECORD = [
    _obs(LOINC_K, "2026-10-01T09:00:00-05:00", 4.8),
    _obs(LOCAL_K, "2026-12-06T05:00:00-05:00", 3.9),
    _obs(TEXT_K, "2026-12-06T17:00:00-05:00", 4.1),
    _obs({"text": "zorblex"}, "2026-12-06T17:00:00-05:00", 99),
    {"resourceType": "Observation", "code": {"text": "BP"}, "effectiveDateTime": "2026-12-01T09:00:00Z",
     "component": [{"valueQuantity": {"value": 128}}, {"valueQuantity": {"value": 84}}]},
]  # fmt: skip


@pytest.fixture
def facts() -> RecordFacts:
    return RecordFacts(RECORD, date(1950, 12, 8), NOW)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("latest_potassium", "4.1"),
        ("previous_potassium", "3.9"),
        ("average_potassium__yesterday", "4"),
        ("highest_potassium", "4.8"),
        ("count_potassium", "3"),
        ("trend_potassium", "going down"),
        ("latest_blood_pressure", "128/84"),
        ("age", "75"),
        ("prev_month_name", "November"),
    ],
)
def test_each_fact_is_read_from_every_coding_of_the_concept(facts: RecordFacts, name: str, text: str) -> None:
    found = facts.value(name)
    assert found is not None and found[0] == text


def test_a_window_without_readings_cannot_be_filled(facts: RecordFacts) -> None:
    assert facts.value("latest_potassium__30d") is not None
    assert facts.value("average_inr") is None


def test_number_regexes_do_not_match_inside_other_numbers(facts: RecordFacts) -> None:
    import re

    found = facts.value("latest_potassium")
    assert found is not None
    assert re.search(found[1], "Your potassium was 4.1 mmol/L")
    assert not re.search(found[1], "Your potassium was 14.1 mmol/L")
    assert not re.search(found[1], "Your potassium was 4.15 mmol/L")


def test_placeholder_names_are_checked_when_a_suite_loads() -> None:
    assert is_record_placeholder("average_glucose__yesterday")
    assert not is_record_placeholder("average_glucose__fortnight")
    assert not is_record_placeholder("latest_zorblex")
    assert unknown_placeholders("{{patient.latest_potasium}} {{patient.latest_potassium}}") == {
        "latest_potasium"
    }


def test_patient_facts_fill_record_placeholders_lazily(facts: RecordFacts) -> None:
    calls: list[int] = []

    def read() -> RecordFacts:
        calls.append(1)
        return facts

    patient = PatientFacts(name="A B", given="A", family="B", next_appointment=None, medications=(),
                           last_a1c=None, results=read)  # fmt: skip
    assert patient.text("name") == "A B" and not calls
    assert patient.can_fill(frozenset({"latest_potassium", "name"}))
    assert not patient.can_fill(frozenset({"latest_inr"}))
    assert patient.text("latest_potassium") == "4.1" and calls == [1]
