"""The lab/vital concept table and resolving a concept against the codings a record really contains."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.concepts import (
    RecordCoding,
    UnknownConceptError,
    concept_of,
    observation_table,
    resolve_codings,
    unit_for,
)
from tools.concepts.observations import ObservationTable

LOINC = "http://loinc.org"
LOCAL = "http://hospital.example.org/lab-codes"

# A record coded three ways: standard LOINC, local codes with text only, abbreviations and free text.
RECORD = [
    RecordCoding(LOINC, "2823-3", "Potassium [Moles/volume] in Serum or Plasma"),
    RecordCoding(LOCAL, "K", None, "K"),
    RecordCoding(None, None, None, "Potasium serum"),
    RecordCoding(LOCAL, "GLU", "Glucose", None),
    RecordCoding(LOINC, "41653-7", "Glucose [Mass/volume] in Capillary blood by Glucometer"),
    RecordCoding(None, None, None, "Glucose, urine"),
    RecordCoding(LOINC, "2350-7", "Glucose [Mass/volume] in Urine"),
    RecordCoding(LOCAL, "CREA", "Creatinine", None),
    RecordCoding(None, None, None, "Albumin/Creatinine ratio, urine"),
    RecordCoding(None, None, None, "Creatine kinase"),
    RecordCoding(LOINC, "62238-1", None),
    RecordCoding(LOCAL, "EGFR", "eGFR (CKD-EPI)", None),
    RecordCoding(None, None, None, "Vitamin K"),
    RecordCoding(LOINC, "8480-6", "Systolic blood pressure"),
    RecordCoding(LOINC, "8462-4", "Diastolic blood pressure"),
    RecordCoding(LOCAL, "NA", "Sodium", "Na"),
    RecordCoding(None, None, None, "Cholesterol in LDL"),
    RecordCoding(None, None, None, "Total Cholesterol"),
    RecordCoding(None, None, None, "Hemoglobin A1c"),
    RecordCoding(None, None, None, "Hgb"),
    RecordCoding(LOCAL, "MG", "Magnesium", None),
    RecordCoding(None, None, None, "LVEF"),
    RecordCoding(None, None, None, "PT/INR"),
    RecordCoding(LOINC, "29463-7", "Body weight"),
]


def found(concept: str) -> list[str]:
    return [c.code or c.text or "" for c in resolve_codings(concept, RECORD)]


@pytest.mark.parametrize(
    ("concept", "expected"),
    [
        ("potassium", ["2823-3", "K", "Potasium serum"]),
        ("glucose", ["GLU", "41653-7"]),
        ("creatinine", ["CREA"]),
        ("uacr", ["Albumin/Creatinine ratio, urine"]),
        ("egfr", ["62238-1", "EGFR"]),
        ("blood_pressure", ["8480-6", "8462-4"]),
        ("systolic_bp", ["8480-6"]),
        ("sodium", ["NA"]),
        ("ldl", ["Cholesterol in LDL"]),
        ("total_cholesterol", ["Total Cholesterol"]),
        ("a1c", ["Hemoglobin A1c"]),
        ("hemoglobin", ["Hgb"]),
        ("magnesium", ["MG"]),
        ("ejection_fraction", ["LVEF"]),
        ("inr", ["PT/INR"]),
        ("weight", ["29463-7"]),
        ("vitamin_d", []),
        ("tsh", []),
    ],
)
def test_resolve_against_realistic_codings(concept: str, expected: list[str]) -> None:
    assert found(concept) == expected


def test_each_coding_answers_for_one_concept_only() -> None:
    # "Creatinine" must not also answer the albumin/creatinine ratio, nor "Vitamin K" potassium or vitamin D.
    assert [
        m.concept.id for m in concept_of(RecordCoding(None, None, None, "Albumin/Creatinine ratio, urine"))
    ] == ["uacr"]
    assert concept_of(RecordCoding(None, None, None, "Vitamin K")) == []
    assert concept_of(RecordCoding(None, None, None, "Creatine kinase")) == []


def test_loinc_match_is_decisive_and_how_is_reported() -> None:
    [match] = concept_of(RecordCoding(LOINC, "15074-8", "whatever the display says"))
    assert (match.concept.id, match.how) == ("glucose", "loinc")
    [typo] = concept_of(RecordCoding(None, None, None, "Potasium serum"))
    assert typo.how == "typo"


def test_short_abbreviations_are_never_guessed() -> None:
    assert concept_of(RecordCoding(LOCAL, "KK", None, None)) == []
    assert concept_of(RecordCoding(None, None, None, "Vitamin K level")) == []
    [match] = concept_of(RecordCoding(LOCAL, "k", None, None))
    assert match.concept.id == "potassium"


@dataclass
class FakeMention:
    concept_id: str


def test_resolver_accepts_a_mention() -> None:
    assert resolve_codings(FakeMention("sodium"), RECORD) == [RECORD[15]]


def test_codeable_concept_json() -> None:
    codings = RecordCoding.from_codeable_concept(
        {"coding": [{"system": LOINC, "code": "2345-7", "display": "Glucose SerPl-mCnc"}], "text": "Glucose"}
    )
    assert codings == [RecordCoding(LOINC, "2345-7", "Glucose SerPl-mCnc", "Glucose")]
    assert RecordCoding.from_codeable_concept({"text": "K"}) == [RecordCoding(text="K")]
    assert RecordCoding.from_codeable_concept({}) == []


def test_unknown_concept() -> None:
    with pytest.raises(UnknownConceptError):
        resolve_codings("zorblex", RECORD)


@pytest.mark.parametrize(
    ("name", "concept"),
    [
        ("K", "potassium"),
        ("kidney function", "egfr"),
        ("potasium", "potassium"),
        ("sugar", "glucose"),
        ("HbA1c", "a1c"),
        ("EF", "ejection_fraction"),
        ("bp", "blood_pressure"),
        ("O2 sat", "spo2"),
        ("cholesterol", "total_cholesterol"),
        ("zorblex", None),
        ("vitamin k", None),
    ],
)
def test_find_by_name(name: str, concept: str | None) -> None:
    hit = observation_table().find(name)
    assert (hit.id if hit else None) == concept


def test_table_content() -> None:
    table = observation_table()
    glucose = table.get("glucose")
    assert {"2339-0", "2345-7", "41653-7", "15074-8"} <= set(glucose.loinc)
    assert table.loinc_codes("blood_pressure") >= {"85354-9", "8480-6", "8462-4"}
    assert table.get("total_cholesterol").friendly == "total cholesterol"
    assert table.by_loinc("98979-8") is table.get("egfr")
    assert {c.group for c in table.concepts.values()} >= {
        "diabetes",
        "heart",
        "kidney",
        "anticoagulation",
        "lipids",
        "thyroid",
        "vitals",
        "blood count",
        "liver",
        "mental health",
    }
    # Every LOINC code belongs to one concept only.
    codes = [code for c in table.concepts.values() for code in c.loinc]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(
    ("concept", "value", "unit", "expected"),
    [
        ("glucose", 5.5, "mmol/L", 99.09),
        ("creatinine", 88.4, "umol/L", 1.0),
        ("weight", 154, "[lb_av]", 69.85),
        ("temperature", 98.6, "[degF]", 37.0),
        ("potassium", 4.1, "mmol/L", 4.1),
        ("potassium", 4.1, None, 4.1),
    ],
)
def test_unit_conversion(concept: str, value: float, unit: str | None, expected: float) -> None:
    assert observation_table().get(concept).to_canonical(value, unit) == pytest.approx(expected, abs=0.01)


def test_conversion_round_trip_and_unknown_unit() -> None:
    temperature = observation_table().get("temperature")
    assert temperature.from_canonical(37.0, "[degF]") == pytest.approx(98.6, abs=0.01)
    assert temperature.to_canonical(3.0, "mg/dL") is None


def test_reference_range() -> None:
    potassium = observation_table().get("potassium")
    assert potassium.range is not None
    assert potassium.range.contains(4.3) and not potassium.range.contains(5.6)
    assert observation_table().get("inr").range is None  # on warfarin the target differs


def test_units_by_spelling() -> None:
    assert unit_for("mg/dl") is not None and unit_for("mg/dl").code == "mg/dL"  # type: ignore[union-attr]
    assert unit_for("pounds").code == "[lb_av]"  # type: ignore[union-attr]
    assert unit_for("zorbs") is None


def test_a_component_naming_an_unknown_concept_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "observations.yaml"
    bad.write_text(
        "version: 1\nconcepts:\n  bp:\n    display: BP\n    friendly: bp\n    group: vitals\n"
        "    loinc: ['85354-9']\n    unit: mm[Hg]\n    components: [nope]\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="nope"):
        ObservationTable.load(bad)
