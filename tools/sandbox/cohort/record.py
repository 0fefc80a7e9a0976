"""One patient's whole record, from carebundle's draw to booked appointments."""

from __future__ import annotations

import random
from datetime import date, timedelta

from carebundle.core.safety import synthetic_narrative

from tools.sandbox.cohort.allergies import complete_allergies
from tools.sandbox.cohort.carebundle_import import BASE_PANELS, import_carebundle
from tools.sandbox.cohort.careplans import add_care_plans
from tools.sandbox.cohort.chart import Chart
from tools.sandbox.cohort.clinic import Clinic
from tools.sandbox.cohort.codings import recode
from tools.sandbox.cohort.conditions import add_missing_conditions
from tools.sandbox.cohort.demographics import Demographics, birth_date, us_core_extensions
from tools.sandbox.cohort.fhirjson import ref, weekday_on_or_before
from tools.sandbox.cohort.immunizations import add_immunizations
from tools.sandbox.cohort.inpatient import add_inpatient_stay
from tools.sandbox.cohort.model import CohortPatient, FhirResource
from tools.sandbox.cohort.observations import add_series
from tools.sandbox.cohort.prescriptions import prescribe
from tools.sandbox.cohort.problems import PROBLEMS, problems_in
from tools.sandbox.cohort.regimen import plan_regimen
from tools.sandbox.cohort.scenarios import Scenario
from tools.sandbox.cohort.visits import book_upcoming, plan_earlier_visits, visit_for, write_past_visit


def build_patient_record(
    *, seed: int, person: Demographics, scenario: Scenario, clinic: Clinic, today: date
) -> CohortPatient:
    """Write one patient's chart; books their upcoming visits into `clinic`'s free slots."""
    rng = random.Random(f"carecoord:{seed}:patient:{person.index}")
    born, age = birth_date(rng, person.age_band, today)
    primary_care = clinic.staff("primary_care")
    pcp = primary_care[person.index % len(primary_care)]
    last_visit = weekday_on_or_before(today - timedelta(days=rng.randint(7, 120)))
    panels: tuple[str, ...] = BASE_PANELS
    if scenario.problems & {"diabetes", "ckd"}:
        panels += ("albuminuria",)
    if scenario.problems & {"ckd", "afib"}:
        panels += ("cbc",)
    drawn = import_carebundle(
        seed=seed,
        index=person.index,
        profile=scenario.carebundle_profile,
        sex=person.sex,
        age=age,
        visit=last_visit,
        panels=panels,
        practitioner_reference=f"Practitioner/{pcp.practitioner['id']}",
    )
    patient = _complete_patient(drawn.patient, person, born, clinic, pcp.practitioner, pcp.name)
    chart = Chart(
        seed=seed, index=person.index, today=today, rng=rng, clinic=clinic, patient=patient, pcp=pcp
    )
    for resource in (patient, drawn.encounter, *drawn.clinical):
        chart.add(resource)

    present = set(problems_in(chart.icd10_codes())) | scenario.problems
    therapies = plan_regimen(rng, scenario, drawn.medications, present)
    anticoagulated = any(t.drug.ingredient in ("warfarin", "apixaban") for t in therapies)
    on_insulin = any(t.drug.ingredient.startswith("insulin") for t in therapies)
    add_missing_conditions(chart, present, anticoagulated=anticoagulated, on_insulin=on_insulin)
    problems = tuple(p.key for p in PROBLEMS if p.key in present)

    earlier = plan_earlier_visits(chart, last_visit, problems)
    points = [(visit.day, write_past_visit(chart, visit, None)) for visit in earlier]
    points.append(
        (last_visit, write_past_visit(chart, visit_for(chart, last_visit, pcp, problems), drawn.encounter))
    )
    on_warfarin = any(t.drug.ingredient == "warfarin" for t in therapies)
    add_series(chart, problems, points, on_warfarin)
    prescribe(chart, therapies)
    book_upcoming(chart, problems)
    add_care_plans(chart, problems, started=points[0][0])
    add_immunizations(chart, age)
    complete_allergies(chart)
    if scenario.inpatient_days:
        add_inpatient_stay(chart, scenario.inpatient_days)
    return CohortPatient(
        id=patient["id"],
        name=person.name,
        birth_date=born,
        sex=person.sex,
        age_band=person.age_band,
        race=person.race,
        ethnicity=person.ethnicity,
        problems=problems,
        coding=scenario.coding,
        resources=tuple(recode(r, scenario.coding) for r in chart.resources),
    )


def _complete_patient(
    patient: FhirResource,
    person: Demographics,
    born: date,
    clinic: Clinic,
    pcp: FhirResource,
    pcp_name: str,
) -> FhirResource:
    """The carebundle Patient with our name, age, US Core demographics, contacts and care team."""
    summary = f"{person.name}, {person.sex}, born {born.isoformat()}."
    patient.update(
        text=synthetic_narrative(summary).model_dump(exclude_none=True),
        extension=us_core_extensions(person),
        active=True,
        name=[{"use": "official", "family": person.family, "given": [person.given]}],
        telecom=[{"system": "phone", "value": f"555-01{30 + person.index % 70:02d}", "use": "mobile"}],
        gender=person.sex,
        birthDate=born.isoformat(),
        address=[{"line": [f"{100 + person.index} Example Street"], "city": "Testville", "state": "MA",
                  "postalCode": "01000"}],
        generalPractitioner=[ref(pcp, pcp_name)],
        managingOrganization=ref(clinic.organization, clinic.organization["name"]),
    )  # fmt: skip
    return patient
