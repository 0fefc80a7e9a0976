"""The patient board read through the FHIR gateway from a real sandbox: charts, flags, links and speed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.fixtures.agent import SeededSandbox
from tests.fixtures.sandbox import FHIR_JSON, start_sandbox
from tools.errors import FhirError, PatientIsolationError
from tools.fhir import FhirGateway
from tools.record import PatientRecord
from ui.console.board.load import load_board

pytestmark = [pytest.mark.integration]

HEAVY = "heavy-5000"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LOINC = "http://loinc.org"


def _obs(n: int, code: str, when: datetime, quantity: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"heavy-obs-{n}",
        "status": "final",
        "subject": {"reference": f"Patient/{HEAVY}"},
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }
    if quantity is not None:
        body["valueQuantity"] = quantity
    return body


def heavy_record() -> list[dict[str, Any]]:
    """A patient with 5,000 observations over ~7 years: glucose, weight, BP panels, A1c, pulse, temperature."""
    resources: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": HEAVY,
            "name": [{"given": ["Heavy"], "family": "Chart"}],
            "birthDate": "1950-06-01",
            "gender": "male",
        }
    ]
    for n in range(5000):
        when = NOW - timedelta(hours=12 * (5000 - n))
        kind = n % 5
        if kind == 0:
            resources.append(
                _obs(n, "2345-7", when, {"value": 100 + n % 90, "unit": "mg/dL", "code": "mg/dL"})
            )
        elif kind == 1:
            resources.append(
                _obs(n, "29463-7", when, {"value": 80 + (n % 7) / 2, "unit": "kg", "code": "kg"})
            )
        elif kind == 2:
            resources.append(
                _obs(
                    n,
                    "85354-9",
                    when,
                    None,
                    component=[
                        {
                            "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                            "valueQuantity": {"value": 120 + n % 30, "unit": "mmHg", "code": "mm[Hg]"},
                        },
                        {
                            "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                            "valueQuantity": {"value": 70 + n % 20, "unit": "mmHg", "code": "mm[Hg]"},
                        },
                    ],
                )
            )
        elif kind == 3 and n % 90 == 3:
            resources.append(
                _obs(n, "4548-4", when, {"value": 6.5 + (n % 20) / 10, "unit": "%", "code": "%"})
            )
        else:
            resources.append(_obs(n, "8867-4", when, {"value": 60 + n % 30, "unit": "/min", "code": "/min"}))
    return resources


@pytest.fixture(scope="module")
def heavy_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A sandbox holding only the heavy patient."""
    sandbox = start_sandbox(tmp_path_factory.mktemp("heavy-sandbox"))
    resources = heavy_record()
    with httpx.Client(timeout=120) as http:
        for start in range(0, len(resources), 1000):
            bundle = {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [
                    {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
                    for r in resources[start : start + 1000]
                ],
            }
            response = http.post(sandbox.url, content=json.dumps(bundle), headers={"Content-Type": FHIR_JSON})
            assert response.status_code < 300, response.text[:300]
    yield sandbox.url
    sandbox.stop()


def test_board_of_a_5000_observation_patient_loads_within_a_second(heavy_sandbox: str) -> None:
    gateway = FhirGateway(heavy_sandbox)
    load_board(PatientRecord(gateway, HEAVY), since=date(2026, 1, 1), now=NOW)  # warm the connection
    started = time.perf_counter()
    board = load_board(PatientRecord(gateway, HEAVY), since=(NOW - timedelta(days=730)).date(), now=NOW)
    seconds = time.perf_counter() - started
    print(f"board of a 5,000-observation patient: {seconds * 1000:.0f} ms, {board.readings} observations")
    assert seconds <= 1.0
    groups = {g.title: g for g in board.groups}
    charts = {c.concept_id: c for c in groups["Diabetes"].charts}
    assert [s.concept_id for s in charts["a1c"].series] == ["a1c"]
    bp = next(c for c in groups["Heart"].charts if c.concept_id == "blood_pressure")
    assert [s.concept_id for s in bp.series] == ["systolic_bp", "diastolic_bp"]
    glucose = charts["glucose"].series[0]
    assert glucose.latest is not None and glucose.latest.reference == "Observation/heavy-obs-4995"
    assert glucose.readings[0].when >= NOW - timedelta(days=731)
    assert board.age == 76
    assert "kidney function (eGFR)" in groups["Kidney"].missing


def test_board_of_a_cohort_patient_has_a1c_trend_and_flags(seeded_sandbox: SeededSandbox) -> None:
    diabetic = next(
        p
        for p in seeded_sandbox.cohort.patients
        if sum(
            1
            for r in p.resources
            if r["resourceType"] == "Observation" and r["code"]["coding"][0].get("code") == "4548-4"
        )
        >= 2
    )
    board = load_board(PatientRecord(FhirGateway(seeded_sandbox.url), diabetic.id))
    diabetes = next(g for g in board.groups if g.title == "Diabetes")
    a1c = next(c for c in diabetes.charts if c.concept_id == "a1c").series[0]
    assert len(a1c.readings) >= 2
    assert a1c.label == "A1c (3-month average blood sugar)"
    assert a1c.range is not None and a1c.range.high == 5.6
    assert all(r.reference.startswith("Observation/") for r in a1c.readings)
    assert board.medications and board.summary.name


def test_the_wrong_patient_gets_nothing(heavy_sandbox: str) -> None:
    with pytest.raises((FhirError, PatientIsolationError)):
        load_board(PatientRecord(FhirGateway(heavy_sandbox), "someone-else"), now=NOW)
