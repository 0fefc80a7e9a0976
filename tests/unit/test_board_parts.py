"""The patient board's pure parts: tables, duplicate-therapy flags, readings, charts; queue words and reasons."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest

from agent.transcript import TranscriptLine
from carecoord.review.views import DraftView
from tools import parse
from tools.concepts.observations import observation_table
from ui.console.board.charts import frame, trend
from ui.console.board.duplicates import duplicate_flags
from ui.console.board.load import age_on, chart_groups
from ui.console.board.tables import board_groups, therapy_classes
from ui.console.reasons import plain_reason, prior_prescription, reason_table
from ui.console.words import first_chars, triggering_words

LOINC = "http://loinc.org"


def medication(n: int, name: str) -> Any:
    return parse.medication(
        {
            "resourceType": "MedicationRequest",
            "id": f"m{n}",
            "status": "active",
            "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": {"text": name},
        }
    )


def observation(n: int, code: str, when: str, value: float | None, unit: str = "", **extra: Any) -> Any:
    body: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"o{n}",
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": when,
        **extra,
    }
    if value is not None:
        body["valueQuantity"] = {"value": value, "unit": unit, "code": unit}
    return parse.observation(body)


def test_the_tables_load_and_name_known_concepts_and_classes() -> None:
    groups = board_groups()
    assert [g.title for g in groups.groups] == ["Diabetes", "Heart", "Kidney", "Anticoagulation"]
    assert {"4548-4", "8480-6", "8462-4", "33914-3", "6301-6"} <= groups.loinc_codes()
    assert "statin" in therapy_classes().classes


def test_duplicate_therapy_is_flagged_by_class_ingredient_and_pair() -> None:
    meds = [
        medication(1, "atorvastatin 20 mg oral tablet"),
        medication(2, "simvastatin 40 mg oral tablet"),
        medication(3, "lisinopril 10 mg oral tablet"),
        medication(4, "losartan 50 mg oral tablet"),
        medication(5, "metformin 500 mg oral tablet"),
    ]
    flags = duplicate_flags(meds)
    assert set(flags) == {
        "MedicationRequest/m1",
        "MedicationRequest/m2",
        "MedicationRequest/m3",
        "MedicationRequest/m4",
    }
    assert flags["MedicationRequest/m1"].reason == "statin, as simvastatin 40 mg oral tablet"
    assert flags["MedicationRequest/m3"].others == ("MedicationRequest/m4",)
    assert "ACE inhibitor + ARB" in flags["MedicationRequest/m3"].reason
    assert duplicate_flags([medication(1, "metformin 500 mg"), medication(2, "metformin 1000 mg")])


def test_readings_become_charts_with_units_converted_and_panels_split() -> None:
    table = observation_table()
    found = [
        observation(1, "4548-4", "2026-01-05T09:00:00Z", 7.9, "%"),
        observation(2, "4548-4", "2026-07-05T09:00:00Z", 7.1, "%"),
        observation(3, "2345-7", "2026-07-05T09:00:00Z", 7.0, "mmol/L"),
        observation(
            4,
            "85354-9",
            "2026-07-05T09:00:00Z",
            None,
            component=[
                {
                    "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                    "valueQuantity": {"value": 142, "code": "mm[Hg]"},
                },
                {
                    "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                    "valueQuantity": {"value": 88, "code": "mm[Hg]"},
                },
            ],
        ),
    ]
    groups = {g.title: g for g in chart_groups(found, board_groups(), table)}
    a1c = groups["Diabetes"].charts[0]
    assert a1c.concept_id == "a1c" and [r.value for r in a1c.series[0].readings] == [7.9, 7.1]
    assert a1c.series[0].latest is not None and a1c.series[0].latest.reference == "Observation/o2"
    assert a1c.series[0].latest_out_of_range  # above 5.6
    glucose = groups["Diabetes"].charts[1].series[0]
    assert glucose.readings[0].value == pytest.approx(126.1, abs=0.1)  # mmol/L → mg/dL
    bp = groups["Heart"].charts[0]
    assert [(s.concept_id, s.readings[0].value) for s in bp.series] == [
        ("systolic_bp", 142),
        ("diastolic_bp", 88),
    ]
    assert groups["Kidney"].charts == () and "potassium" in groups["Kidney"].missing

    data = frame(a1c, "http://fhir.test/fhir/")
    assert list(data["href"]) == [
        "http://fhir.test/fhir/Observation/o1",
        "http://fhir.test/fhir/Observation/o2",
    ]
    assert list(data["latest"]) == [False, True] and list(data["out"]) == [True, True]
    spec = trend(a1c, "http://fhir.test/fhir").to_dict()
    marks = [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]
    ]
    assert marks == ["rect", "line", "circle", "point", "text"]


def test_age() -> None:
    assert age_on(date(1950, 6, 1), date(2026, 5, 31)) == 75
    assert age_on(date(1950, 6, 1), date(2026, 6, 1)) == 76
    assert age_on(None, date(2026, 6, 1)) is None


def test_the_triggering_words_are_found_by_hash_not_position() -> None:
    asked = "Can I get a refill of my metformin?"
    lines = [
        TranscriptLine(speaker="patient", text="hi"),
        TranscriptLine(speaker="patient", text=asked),
        TranscriptLine(speaker="assistant", text="Sent to your care team."),
        TranscriptLine(speaker="patient", text="thanks"),
    ]
    assert triggering_words(lines, hashlib.sha256(asked.encode()).hexdigest()) == asked
    assert triggering_words(lines, "unknown") == "thanks"
    assert triggering_words([], "x") is None
    long = "word " * 60
    cut = first_chars(long)
    assert len(cut) <= 140 and cut.endswith("…") and "  " not in cut


@pytest.mark.parametrize(
    ("summary", "reason"),
    [
        ("Emergency screen: suicidal-thoughts", "Said they are having thoughts of suicide"),
        ("Urgent screen: high-inr", "Reported a high INR"),
        ("Emergency screen: brand-new-flag", "Mentioned brand new flag"),
        ("Patient reports a symptom", "Reported a symptom"),
        ("Something else entirely", "Something else entirely"),
    ],
)
def test_plain_reasons(summary: str, reason: str) -> None:
    assert plain_reason(summary) == reason


def test_refill_reason_names_the_drug_and_last_fill() -> None:
    draft = DraftView(
        kind="refill",
        identifier="x",
        resource={
            "resourceType": "MedicationRequest",
            "medicationCodeableConcept": {"text": "metformin 500 mg oral tablet"},
            "priorPrescription": {"reference": "MedicationRequest/m9"},
        },
    )
    assert prior_prescription(draft) == "m9"
    assert (
        plain_reason("Refill metformin 500 mg oral tablet (60 tablet)", draft, date(2026, 10, 2))
        == "Asked for a refill of metformin 500 mg oral tablet — last filled 2026-10-02"
    )
    assert plain_reason("Refill x", draft).endswith("metformin 500 mg oral tablet")


def test_every_policy_flag_has_a_plain_reason() -> None:
    import yaml

    from agent.policy import POLICY_PATH

    policy = yaml.safe_load(POLICY_PATH.read_text(encoding="utf-8"))
    flags = {f["id"] for key in ("red_flags", "urgent_flags") for f in policy[key]}
    assert flags <= set(reason_table().flags)


def test_record_results_use_friendly_names_and_dated_sources() -> None:
    from agent.toolbox import observation_fact

    fact = observation_fact(observation(7, "4548-4", "2026-10-01T08:00:00Z", 7.2, "%"))
    assert fact.text == "Your A1c (3-month average blood sugar) result was 7.2 % on October 1, 2026."
    assert fact.title == "Your test results, 2026-10-01"
    cholesterol = observation_fact(observation(8, "2093-3", "2026-10-01T08:00:00Z", 190, "mg/dL"))
    assert cholesterol.text.startswith("Your total cholesterol result was 190 mg/dL")
