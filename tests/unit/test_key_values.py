"""A record citation's key values: what the record holds, in the patient's words, whatever the coding."""

from __future__ import annotations

from typing import Any

import pytest

from tools.key_values import key_values

LOINC = "http://loinc.org"


def _potassium(code: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "k1",
        "status": "final",
        "code": code,
        "valueQuantity": {"value": 4.3, "unit": "mmol/L"},
        "effectiveDateTime": "2026-10-01T08:30:00Z",
        "referenceRange": [
            {"low": {"value": 3.5, "unit": "mmol/L"}, "high": {"value": 5.1, "unit": "mmol/L"}}
        ],
    }


@pytest.mark.parametrize(
    "code",
    [
        {
            "coding": [
                {"system": LOINC, "code": "2823-3", "display": "Potassium [Moles/volume] in Serum or Plasma"}
            ]
        },
        {"coding": [{"system": "http://clinic.example/lab", "code": "K"}], "text": "Potassium"},
        {"text": "K"},
    ],
    ids=["loinc", "local-code", "text-only"],
)
def test_a_lab_shows_its_friendly_name_value_time_range_and_status(code: dict[str, Any]) -> None:
    line = key_values(_potassium(code))
    name, value, when, shown_range, status = line.split(" · ")
    assert name.lower().startswith("potassium")
    assert (value, when, shown_range, status) == (
        "4.3 mmol/L",
        "2026-10-01 08:30",
        "range 3.5–5.1 mmol/L",
        "final",
    )


def test_blood_pressure_reads_as_a_pair() -> None:
    pressure = {
        "resourceType": "Observation",
        "id": "bp",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "component": [
            {
                "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                "valueQuantity": {"value": 138, "unit": "mm[Hg]"},
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                "valueQuantity": {"value": 86, "unit": "mm[Hg]"},
            },
        ],
        "effectiveDateTime": "2026-11-02T09:00:00Z",
    }
    assert "138/86 mmHg" in key_values(pressure).split(" · ")  # UCUM brackets are not for patients


def test_a_prescription_shows_dose_status_date_and_refills() -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "m1",
        "status": "active",
        "authoredOn": "2026-10-02",
        "medicationCodeableConcept": {"text": "metformin 500 mg tablet"},
        "dosageInstruction": [{"text": "1 tablet twice daily with meals"}],
        "dispenseRequest": {"numberOfRepeatsAllowed": 2},
    }
    assert key_values(order) == (
        "metformin 500 mg tablet · 1 tablet twice daily with meals · active · written 2026-10-02 · 2 refills"
    )


def test_visits_problems_allergies_and_the_patient() -> None:
    visit = {
        "resourceType": "Appointment",
        "id": "a1",
        "status": "booked",
        "start": "2027-01-12T10:30:00Z",
        "serviceType": [{"text": "Endocrinology"}],
        "participant": [{"actor": {"reference": "Practitioner/p1", "display": "Dr. Ana Ruiz"}}],
    }
    assert key_values(visit) == "2027-01-12 10:30 · Endocrinology · Dr. Ana Ruiz · booked"
    problem = {
        "resourceType": "Condition",
        "id": "c1",
        "code": {"text": "Type 2 diabetes"},
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
            ]
        },
        "onsetDateTime": "2019-04-01",
    }
    assert key_values(problem) == "Type 2 diabetes · active · since 2019-04-01"
    allergy = {
        "resourceType": "AllergyIntolerance",
        "id": "al1",
        "code": {"text": "Penicillin"},
        "criticality": "high",
        "reaction": [{"manifestation": [{"text": "hives"}]}],
    }
    assert key_values(allergy) == "Penicillin · hives · high criticality"
    person = {
        "resourceType": "Patient",
        "id": "p1",
        "name": [{"given": ["Dara"], "family": "Placeholt"}],
        "birthDate": "1958-03-09",
        "gender": "female",
    }
    assert key_values(person) == "Dara Placeholt · born 1958-03-09 · female"


def test_unknown_or_broken_resources_fall_back_to_their_reference() -> None:
    assert key_values({"resourceType": "Device", "id": "d1"}) == "Device/d1"
    assert key_values({"resourceType": "Slot", "id": "s1"}) == "Slot/s1"  # no start or end
    assert key_values({"resourceType": "Observation", "id": "o1"}).startswith("observation")
