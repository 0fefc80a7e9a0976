"""Compound indexes answer the agent's per-patient sorted searches exactly as the generic index does, fast."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.sandbox import compound
from tools.sandbox.records import Update
from tools.sandbox.registry import RESOURCES
from tools.sandbox.responses import SUBSETTED, subset
from tools.sandbox.search import parse_search
from tools.sandbox.store import FhirStore

pytestmark = pytest.mark.integration

LOINC = "http://loinc.org"


def _observation(n: int, patient: str, code: str, when: str | None) -> dict[str, Any]:
    coding: list[dict[str, str]] = [{"system": LOINC, "code": code}]
    if n % 7 == 0:
        coding.append({"system": "urn:local", "code": code})
    if n % 11 == 0:
        coding.append({"code": code})
    body: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"o{n}",
        "status": "final" if n % 5 else "amended",
        "code": {"coding": coding},
        "subject": {"reference": f"Patient/{patient}"},
    }
    if when is not None:
        body["effectiveDateTime"] = when
    return body


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirStore]:
    """Two patients, three codes, tied and missing dates, a code under two systems, appointments, slots."""
    rng = random.Random(3)
    fhir = FhirStore(tmp_path_factory.mktemp("compound") / "fhir.sqlite3")
    with fhir.transaction() as writer:
        for n in range(400):
            day = rng.choice([None, *[f"2025-0{m}-1{d}" for m in range(1, 10) for d in range(0, 3)]])
            patient = rng.choice(["a", "b"])
            code = rng.choice(["4548-4", "2345-7", "8480-6"])
            writer.write(Update("Observation", f"o{n}", _observation(n, patient, code, day)))
        for n in range(40):
            start = rng.choice([f"2026-0{m}-0{d}T09:00:00Z" for m in range(1, 4) for d in range(1, 4)])
            body = {
                "resourceType": "Appointment",
                "id": f"ap{n}",
                "status": "booked",
                "start": start,
                "participant": [
                    {"actor": {"reference": f"Patient/{rng.choice('ab')}"}, "status": "accepted"}
                ],
            }
            writer.write(Update("Appointment", f"ap{n}", body))
        for n in range(60):
            body = {
                "resourceType": "Slot",
                "id": f"s{n}",
                "schedule": {"reference": f"Schedule/{rng.choice(['x', 'y'])}"},
                "status": rng.choice(["free", "busy"]),
                "start": f"2026-02-0{rng.randint(1, 9)}T1{rng.randint(0, 5)}:00:00Z",
                "end": "2026-02-10T00:00:00Z",
            }
            writer.write(Update("Slot", f"s{n}", body))
    yield fhir
    fhir.close()


QUERIES = [
    ("Observation", "patient=Patient/a&code=http://loinc.org|4548-4&_sort=-date&_count=3"),
    ("Observation", "patient=Patient/a&code=4548-4&_sort=-date&_count=500"),
    ("Observation", "patient=Patient/b&code=urn:local|2345-7&_sort=date&_count=500"),
    ("Observation", "patient=Patient/b&code=|2345-7&_sort=date&_count=500"),
    ("Observation", "patient=Patient/a&_sort=-date&_count=7&_offset=5"),
    (
        "Observation",
        "patient=Patient/a&code=http://loinc.org|8480-6&date=ge2025-05-01&_sort=-date&_count=500",
    ),
    ("Observation", "patient=Patient/b&status=amended&_sort=date&_count=500"),
    ("Observation", "patient=a&_sort=-date&_count=500"),
    (
        "Observation",
        "patient=Patient/a&code=4548-4,2345-7&_sort=-date&_count=500",
    ),  # codes ORed: checked per row
    ("Appointment", "patient=Patient/a&date=ge2026-02-01&_sort=date&_count=10"),
    ("Appointment", "patient=Patient/b&date=lt2026-03-02&_sort=-date&_count=500"),
    ("Slot", "schedule=Schedule/x&status=free&start=ge2026-02-03&start=lt2026-02-08&_sort=start&_count=500"),
]


def _pairs(query: str) -> list[tuple[str, str]]:
    return [tuple(part.split("=", 1)) for part in query.split("&")]  # type: ignore[misc]


@pytest.mark.parametrize(("resource_type", "query"), QUERIES)
def test_compound_index_returns_what_the_generic_index_returns(
    store: FhirStore, resource_type: str, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = parse_search(RESOURCES[resource_type], _pairs(query))
    assert compound.plan(parsed) is not None, "the query should use a compound index"
    fast = store.search(parsed)
    monkeypatch.setattr(compound, "plan", lambda query: None)
    generic = store.search(parsed)
    assert fast.total == generic.total > 0
    assert [r.id for r in fast.resources] == [r.id for r in generic.resources]


def test_queries_no_compound_index_fits_take_the_generic_path() -> None:
    for resource_type, query in [
        ("Observation", "patient=Patient/a&code=4548-4"),  # no sort
        ("Observation", "code=4548-4&_sort=-date"),  # no patient
        ("Condition", "patient=Patient/a"),
    ]:
        assert compound.plan(parse_search(RESOURCES[resource_type], _pairs(query))) is None, query


def test_newest_three_of_twenty_thousand_readings_costs_a_few_ms(tmp_path: Path) -> None:
    dense = FhirStore(tmp_path / "dense.sqlite3")
    with dense.transaction() as writer:
        for n in range(20_000):
            minute = f"2025-{1 + n // 2000:02d}-{1 + (n // 80) % 25:02d}T{(n // 4) % 20:02d}:{n % 60:02d}:00Z"
            writer.write(Update("Observation", f"d{n}", _observation(n, "dense", "2339-0", minute)))
    query = parse_search(
        RESOURCES["Observation"],
        _pairs("patient=Patient/dense&code=http://loinc.org|2339-0&_sort=-date&_count=3"),
    )
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        page = dense.search(query)
        timings.append((time.perf_counter() - started) * 1000)
    dense.close()
    assert page.total == 20_000 and len(page.resources) == 3
    dates = [r.body["effectiveDateTime"] for r in page.resources]
    assert dates == sorted(dates, reverse=True) and dates[0].startswith("2025-10")
    assert statistics.median(timings) < 25, timings  # generic index: ~120 ms; compound: ~2-5 ms here


def test_elements_subset_and_tag() -> None:
    body = {
        "resourceType": "Schedule",
        "id": "s",
        "meta": {"versionId": "2"},
        "actor": [{"reference": "x"}],
        "active": True,
    }
    assert subset(body, ()) is body
    trimmed = subset(body, ("actor", "specialty"))
    assert trimmed == {
        "resourceType": "Schedule",
        "id": "s",
        "meta": {"versionId": "2", "tag": [SUBSETTED]},
        "actor": [{"reference": "x"}],
    }
    assert body["meta"] == {"versionId": "2"}  # the stored body is untouched
