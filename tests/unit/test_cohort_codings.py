"""The cohort's coding variants: local lab codes, text-only abbreviations, and one dense record."""

from __future__ import annotations

from datetime import date

import pytest

from tools.sandbox.cohort import Cohort, build_cohort
from tools.sandbox.cohort.codings import local_code_table, recode

TODAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return build_cohort(patients=60, seed=7, today=TODAY)


def _potassium() -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}], "text": "Potassium"},
        "valueQuantity": {"value": 4.3, "unit": "mmol/L", "code": "mmol/L"},
    }


def test_a_local_coding_keeps_the_value_and_names_the_result_by_the_labs_own_code() -> None:
    body = recode(_potassium(), "local")
    assert body["code"] == {
        "coding": [{"system": "http://clinic.example/lab-codes", "code": "K", "display": "Potassium"}],
        "text": "Potassium",
    }
    assert body["valueQuantity"] == {"value": 4.3, "unit": "mEq/L", "code": "mEq/L"}


def test_a_text_only_coding_has_no_system_and_no_code() -> None:
    assert recode(_potassium(), "text")["code"] == {"text": "K"}


@pytest.mark.parametrize("style", ["loinc", "local", "text"])
def test_the_evaluators_table_reads_back_the_concept_of_every_coding(style: str) -> None:
    body = recode(_potassium(), style)  # type: ignore[arg-type]
    assert local_code_table().concept_of(body["code"]) == "potassium"  # type: ignore[arg-type]


def test_big_cohorts_hold_every_coding_and_a_dense_record(cohort: Cohort) -> None:
    codings = [p.coding for p in cohort.patients]
    assert codings.count("local") == 3 and codings.count("text") == 3
    observations = {
        p.id: sum(r["resourceType"] == "Observation" for r in p.resources) for p in cohort.patients
    }
    assert max(observations.values()) >= 2000
    dense = max(cohort.patients, key=lambda p: observations[p.id])
    local = [r for r in dense.resources if r["resourceType"] == "Observation"
             and r["code"].get("coding", [{}])[0].get("system") == "http://clinic.example/lab-codes"]  # fmt: skip
    assert local, "the dense record mixes the hospital lab's local codes with LOINC vitals"


def test_text_coded_records_have_no_coding_on_their_labs(cohort: Cohort) -> None:
    for person in (p for p in cohort.patients if p.coding == "text"):
        labs = [r for r in person.resources if r["resourceType"] == "Observation"
                and local_code_table().concept_of(r["code"]) == "a1c"]  # fmt: skip
        assert labs and all("coding" not in r["code"] for r in labs)


def test_small_cohorts_are_unchanged_by_the_variants() -> None:
    assert {p.coding for p in build_cohort(patients=8, seed=7, today=TODAY).patients} == {"loinc"}
