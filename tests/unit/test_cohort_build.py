"""The cohort generator: deterministic, valid FHIR R4, and covering what the evaluations ask about."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from fhir.resources.R4B import get_fhir_model_class

from tools.sandbox.cohort import Cohort, build_cohort
from tools.sandbox.cohort.clinic import SPECIALTIES
from tools.sandbox.cohort.demographics import BANDS, ETHNICITY_SHARES, RACE_SHARES
from tools.sandbox.cohort.model import TYPE_ORDER, FhirResource
from tools.sandbox.cohort.problems import PROBLEMS

TODAY = date(2026, 3, 10)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return build_cohort(patients=60, seed=7, today=TODAY)


def of_type(cohort: Cohort, resource_type: str) -> list[FhirResource]:
    return [r for r in cohort.resources() if r["resourceType"] == resource_type]


def dumps(cohort: Cohort) -> str:
    return json.dumps(cohort.resources(), sort_keys=True)


def active_requests(cohort: Cohort) -> list[FhirResource]:
    return [r for r in of_type(cohort, "MedicationRequest") if r["status"] == "active"]


def references(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [ref for key, value in node.items() if key != "reference" for ref in references(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    return []


def test_same_arguments_give_byte_identical_cohorts(cohort: Cohort) -> None:
    again = build_cohort(patients=60, seed=7, today=TODAY)
    assert dumps(again) == dumps(cohort)


@pytest.mark.slow
def test_output_does_not_depend_on_python_hash_seed() -> None:
    code = (
        "import hashlib, json, datetime\n"
        "from tools.sandbox.cohort import build_cohort\n"
        "c = build_cohort(patients=15, seed=3, today=datetime.date(2026, 3, 10))\n"
        "print(hashlib.sha256(json.dumps(c.resources(), sort_keys=True).encode()).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    local = build_cohort(patients=15, seed=3, today=TODAY)
    assert out.stdout.strip() == hashlib.sha256(dumps(local).encode()).hexdigest()


def test_another_seed_gives_other_ids(cohort: Cohort) -> None:
    other = build_cohort(patients=5, seed=8, today=TODAY)
    assert {p.id for p in other.patients}.isdisjoint({p.id for p in cohort.patients})


def test_zero_patients_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        build_cohort(patients=0)


def test_every_resource_validates_as_fhir_r4(cohort: Cohort) -> None:
    failures = []
    for resource in cohort.resources():
        try:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except ValueError as error:
            failures.append(f"{resource['resourceType']}/{resource['id']}: {str(error)[:200]}")
    assert failures == []


def test_ids_are_unique_uuids(cohort: Cohort) -> None:
    ids = [r["id"] for r in cohort.resources()]
    assert len(ids) == len(set(ids))
    assert all(UUID.match(i) for i in ids)


def test_every_reference_points_at_an_earlier_resource_of_the_cohort(cohort: Cohort) -> None:
    seen: set[str] = set()
    dangling = []
    for resource in cohort.resources():
        for target in references(resource):
            if target not in seen:
                dangling.append(f"{resource['resourceType']}/{resource['id']} -> {target}")
        seen.add(f"{resource['resourceType']}/{resource['id']}")
    assert dangling == []
    assert [t for t in cohort.counts() if t not in TYPE_ORDER] == []


def test_every_resource_is_labelled_as_test_data(cohort: Cohort) -> None:
    unlabelled = [r["id"] for r in cohort.resources() if r["meta"]["security"][0]["code"] != "HTEST"]
    assert unlabelled == []


def test_demographics_cover_every_band_sex_race_and_ethnicity(cohort: Cohort) -> None:
    patients = cohort.patients
    assert Counter(p.sex for p in patients) == {"female": 30, "male": 30}
    assert set(Counter(p.age_band for p in patients)) == set(BANDS)
    assert min(Counter(p.age_band for p in patients).values()) >= 10
    assert set(p.race for p in patients) == set(RACE_SHARES)
    assert set(p.ethnicity for p in patients) == set(ETHNICITY_SHARES)
    assert len({p.name for p in patients}) == 60


def test_patient_resources_carry_the_demographics(cohort: Cohort) -> None:
    for person in cohort.patients:
        patient = person.resources[0]
        assert patient["resourceType"] == "Patient" and patient["id"] == person.id
        assert patient["gender"] == person.sex
        low, high = BANDS[person.age_band]
        born = date.fromisoformat(patient["birthDate"])
        age = TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))
        assert low <= age <= high
        race = next(e for e in patient["extension"] if e["url"].endswith("us-core-race"))
        assert race["extension"][1]["valueString"] == person.race
        ethnicity = next(e for e in patient["extension"] if e["url"].endswith("us-core-ethnicity"))
        assert ethnicity["extension"][1]["valueString"] == person.ethnicity
        assert patient["generalPractitioner"][0]["reference"].startswith("Practitioner/")


def test_every_catalog_problem_appears(cohort: Cohort) -> None:
    present = Counter(key for p in cohort.patients for key in p.problems)
    assert {p.key for p in PROBLEMS} <= set(present)


@pytest.mark.parametrize(
    "medicine",
    ["metformin", "insulin glargine", "insulin lispro", "lisinopril", "amlodipine", "furosemide", "carvedilol",
     "warfarin", "apixaban", "albuterol", "fluticasone", "tiotropium", "levothyroxine", "sertraline",
     "atorvastatin"],
)  # fmt: skip
def test_the_corpus_medicines_are_prescribed(cohort: Cohort, medicine: str) -> None:
    texts = [r["medicationCodeableConcept"]["text"] for r in active_requests(cohort)]
    assert any(text.startswith(medicine) for text in texts)


def test_active_prescriptions_carry_rxnorm_and_label_details(cohort: Cohort) -> None:
    requests = active_requests(cohort)
    assert len(requests) >= 120
    for request in requests:
        medication = request["medicationCodeableConcept"]
        assert [c["system"] for c in medication["coding"]] == [RXNORM]
        assert re.search(r"\d", medication["text"]) and medication["text"][0].islower()
        assert request["dosageInstruction"][0]["text"]
        dispense = request["dispenseRequest"]
        assert dispense["numberOfRepeatsAllowed"] >= 0
        assert dispense["quantity"]["value"] > 0
        assert dispense["expectedSupplyDuration"]["code"] == "d"
        assert dispense["validityPeriod"]["start"] == request["authoredOn"]
        assert request["requester"]["reference"].startswith("Practitioner/")


def test_refill_states_are_spread(cohort: Cohort) -> None:
    requests = active_requests(cohort)
    no_refills = [r for r in requests if r["dispenseRequest"]["numberOfRepeatsAllowed"] == 0]
    expired = [
        r for r in requests if date.fromisoformat(r["dispenseRequest"]["validityPeriod"]["end"]) < TODAY
    ]
    assert len(no_refills) >= 10
    assert len(expired) >= 5
    statuses = Counter(r["status"] for r in of_type(cohort, "MedicationRequest"))
    assert statuses["stopped"] >= 1 and statuses["completed"] >= 10
    stopped = [r for r in of_type(cohort, "MedicationRequest") if r["status"] == "stopped"]
    assert all(r["statusReason"]["text"] for r in stopped)


def test_warfarin_patients_have_dated_inr_results(cohort: Cohort) -> None:
    for person in (p for p in cohort.patients if p.coding == "loinc"):
        texts = [r["medicationCodeableConcept"]["text"] for r in person.resources
                 if r["resourceType"] == "MedicationRequest" and r["status"] == "active"]  # fmt: skip
        inrs = [r for r in person.resources if r["resourceType"] == "Observation"
                and r["code"]["coding"][0]["code"] == "6301-6"]  # fmt: skip
        if any(t.startswith("warfarin") for t in texts):
            assert len(inrs) >= 3 and all(r["effectiveDateTime"] for r in inrs)


@pytest.mark.parametrize(
    ("problem", "loinc"),
    [("diabetes", "4548-4"), ("hypothyroidism", "3016-3"), ("ckd", "98979-8"), ("hyperlipidemia", "13457-7"),
     ("hypertension", "85354-9"), ("depression", "44261-6")],
)  # fmt: skip
def test_problems_have_monitoring_results_over_time(cohort: Cohort, problem: str, loinc: str) -> None:
    for person in (p for p in cohort.patients if p.coding == "loinc"):
        if problem not in person.problems:
            continue
        dated = {r["effectiveDateTime"][:10] for r in person.resources
                 if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == loinc}  # fmt: skip
        assert len(dated) >= 2, person.name


def test_clinic_has_every_specialty_with_schedules(cohort: Cohort) -> None:
    roles = of_type(cohort, "PractitionerRole")
    assert {r["specialty"][0]["text"] for r in roles} == {s.text for s in SPECIALTIES.values()}
    assert all(r["specialty"][0]["coding"][0]["system"] == "http://nucc.org/provider-taxonomy" for r in roles)
    schedules = of_type(cohort, "Schedule")
    assert len(schedules) == len(roles)
    assert all({a["reference"].split("/")[0] for a in s["actor"]} == {"PractitionerRole", "Practitioner"}
               for s in schedules)  # fmt: skip
    assert len(of_type(cohort, "Organization")) == 1


def test_slots_are_weekdays_in_the_next_30_days_mostly_free(cohort: Cohort) -> None:
    slots = of_type(cohort, "Slot")
    days = {datetime.fromisoformat(s["start"]).date() for s in slots}
    assert all(TODAY < d <= TODAY + timedelta(days=30) and d.weekday() < 5 for d in days)
    statuses = Counter(s["status"] for s in slots)
    assert statuses["free"] > statuses["busy"] > 0


def test_most_patients_have_an_upcoming_booked_appointment(cohort: Cohort) -> None:
    slots = {s["id"]: s for s in of_type(cohort, "Slot")}
    with_upcoming = 0
    for person in cohort.patients:
        appointments = [r for r in person.resources if r["resourceType"] == "Appointment"]
        assert any(a["status"] == "fulfilled" for a in appointments)
        booked = [a for a in appointments if a["status"] == "booked"]
        with_upcoming += bool(booked)
        for appointment in booked:
            assert datetime.fromisoformat(appointment["start"]).date() > TODAY
            actors = [p["actor"]["reference"] for p in appointment["participant"]]
            assert actors[0] == f"Patient/{person.id}" and actors[1].startswith("Practitioner/")
            slot = slots[appointment["slot"][0]["reference"].split("/")[1]]
            assert slot["status"] == "busy" and slot["start"] == appointment["start"]
            assert appointment["description"] and appointment["serviceType"][0]["text"]
    assert with_upcoming >= 50
    booked_slots = [
        a["slot"][0]["reference"] for a in of_type(cohort, "Appointment") if a["status"] == "booked"
    ]
    assert len(booked_slots) == len(set(booked_slots))


def test_past_visits_are_encounters_linked_to_their_appointments(cohort: Cohort) -> None:
    appointments = {a["id"]: a for a in of_type(cohort, "Appointment")}
    for encounter in of_type(cohort, "Encounter"):
        appointment = appointments[encounter["appointment"][0]["reference"].split("/")[1]]
        assert appointment["status"] == "fulfilled"
        assert appointment["start"] == encounter["period"]["start"]
        assert datetime.fromisoformat(encounter["period"]["start"]).date() < TODAY


def test_care_plans_are_active_with_activities(cohort: Cohort) -> None:
    plans = of_type(cohort, "CarePlan")
    assert {p["subject"]["reference"] for p in plans} == {f"Patient/{p.id}" for p in cohort.patients}
    for plan in plans:
        assert plan["status"] == "active" and plan["category"][0]["text"]
        assert all(a["detail"]["description"] for a in plan["activity"])
        assert date.fromisoformat(plan["period"]["start"]) < TODAY < date.fromisoformat(plan["period"]["end"])


def test_immunizations_and_allergies_are_present(cohort: Cohort) -> None:
    vaccines = Counter(i["vaccineCode"]["coding"][0]["code"] for i in of_type(cohort, "Immunization"))
    assert {"150", "115", "187", "33"} <= set(vaccines)
    allergies = of_type(cohort, "AllergyIntolerance")
    assert len(allergies) >= 5
    assert all(a["reaction"][0]["manifestation"][0]["text"] for a in allergies)
