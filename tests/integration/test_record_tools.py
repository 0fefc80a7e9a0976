"""`PatientRecord` over real HTTP, against our sandbox and the independent Medplum server alike."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from tests.fixtures.agent import SeededSandbox
from tools.errors import FhirUnavailable, PatientIsolationError
from tools.fhir import FhirGateway
from tools.record import PatientRecord
from tools.sandbox.cohort import Cohort, CohortPatient, build_cohort, load_cohort

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    cohort: Cohort


@pytest.fixture(scope="session")
def medplum_cohort(medplum_url: str) -> Cohort:
    cohort = build_cohort(patients=6, seed=7)
    load_cohort(medplum_url, cohort)
    return cohort


@pytest.fixture(params=["sandbox", pytest.param("medplum", marks=pytest.mark.peer)])
def server(request: pytest.FixtureRequest) -> Server:
    if request.param == "sandbox":
        seeded: SeededSandbox = request.getfixturevalue("seeded_sandbox")
        return Server("sandbox", seeded.url, seeded.cohort)
    return Server(
        "medplum", request.getfixturevalue("medplum_url"), request.getfixturevalue("medplum_cohort")
    )


def _with_meds(cohort: Cohort, minimum: int = 2) -> CohortPatient:
    for patient in cohort.patients:
        active = [
            r
            for r in patient.resources
            if r.get("resourceType") == "MedicationRequest" and r.get("status") == "active"
        ]
        if len(active) >= minimum:
            return patient
    raise AssertionError("cohort has no patient with enough medications")


def _record(server: Server, patient: CohortPatient) -> PatientRecord:
    return PatientRecord(gateway=FhirGateway(server.url, timeout_s=10, attempts=2), patient_id=patient.id)


def test_active_medications_match_a_direct_query(server: Server) -> None:
    patient = _with_meds(server.cohort)
    record = _record(server, patient)
    meds = record.active_medications()
    direct = httpx.get(
        f"{server.url}/MedicationRequest",
        params={"patient": f"Patient/{patient.id}", "status": "active", "_count": "100"},
    ).json()
    assert {m.source.id for m in meds} == {e["resource"]["id"] for e in direct.get("entry", [])}
    assert all(m.rxnorm for m in meds), "every active prescription carries an RxNorm code"
    assert all(m.source.json_body["subject"]["reference"] == f"Patient/{patient.id}" for m in meds)
    assert [c.name for c in record.calls] == ["active_medications"] and record.calls[0].ok


def test_reading_another_patients_resource_raises(server: Server) -> None:
    other = _with_meds(server.cohort)
    me = next(p for p in server.cohort.patients if p.id != other.id)
    foreign = next(r for r in other.resources if r.get("resourceType") == "MedicationRequest")
    with pytest.raises(PatientIsolationError):
        _record(server, me).medication(str(foreign["id"]))


def test_drafts_write_nothing_and_commit_writes_once(server: Server) -> None:
    patient = _with_meds(server.cohort)
    record = _record(server, patient)
    medication = record.active_medications()[0]
    before = len(record.active_medications())
    draft = record.draft_refill(medication, request_key=f"test-{datetime.now(UTC).timestamp()}")
    assert draft.resource["status"] == "draft"
    assert len(record.active_medications()) == before
    first = record.commit(draft)
    again = record.commit(draft)
    assert first.created and not again.created
    assert first.resource["id"] == again.resource["id"]
    found = httpx.get(
        f"{server.url}/MedicationRequest", params={"identifier": draft.condition.split("=", 1)[1]}
    ).json()
    assert len(found.get("entry", [])) == 1
    assert len(record.active_medications()) == before + 1


def test_appointments_slots_and_labs(server: Server) -> None:
    patient = next(
        p for p in server.cohort.patients if any(r.get("resourceType") == "Observation" for r in p.resources)
    )
    record = _record(server, patient)
    now = datetime.now(UTC)
    upcoming = record.upcoming_appointments()
    assert all(a.start is not None and a.start >= now for a in upcoming)
    assert [a.start for a in upcoming] == sorted(a.start for a in upcoming if a.start)
    slots = record.free_slots(specialty="cardiology", limit=5)
    assert slots and all("cardio" in (s.specialty or "").lower() for s in slots)
    assert all(s.start >= now for s in slots)
    labs = record.observations(limit=5)
    assert labs and all(o.source.json_body["subject"]["reference"] == f"Patient/{patient.id}" for o in labs)


class _FlakyHandler(http.server.BaseHTTPRequestHandler):
    """Answers 503 to the first two requests, then a CapabilityStatement: the EHR hiccups."""

    calls = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        type(self).calls += 1
        status, body = (
            (503, b'{"resourceType":"OperationOutcome"}')
            if type(self).calls <= 2
            else (200, b'{"resourceType":"CapabilityStatement"}')
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def flaky_server() -> Iterator[str]:
    _FlakyHandler.calls = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FlakyHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/fhir"
    server.shutdown()


def test_transient_failures_are_retried(flaky_server: str) -> None:
    assert (
        FhirGateway(flaky_server, timeout_s=2, attempts=3).capability()["resourceType"]
        == "CapabilityStatement"
    )
    assert _FlakyHandler.calls == 3


def test_a_server_that_is_down_gives_one_clear_error() -> None:
    from tests.fixtures.processes import free_port

    gateway = FhirGateway(f"http://127.0.0.1:{free_port()}/fhir", timeout_s=1, attempts=2)
    with pytest.raises(FhirUnavailable, match=r"cannot reach the FHIR server .*after 2 attempts"):
        gateway.read("Patient", "x")


class _RecordingGateway(FhirGateway):
    """The real gateway, remembering the query of every search it sends."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, timeout_s=10, attempts=2)
        self.sent: list[dict[str, str]] = []

    def _collect(self, resource_type, params, limit):  # type: ignore[no-untyped-def]
        self.sent.append({"type": resource_type, **dict(params)})
        return super()._collect(resource_type, params, limit)


def test_requests_are_sized_to_what_each_tool_needs(server: Server) -> None:
    patient = _with_meds(server.cohort, minimum=1)
    gateway = _RecordingGateway(server.url)
    record = PatientRecord(gateway=gateway, patient_id=patient.id)

    newest = record.observations(limit=3)
    record.upcoming_appointments(limit=1)
    slots = record.free_slots(specialty="cardiology", limit=2)

    observation, appointment, schedule, *slot_searches = gateway.sent
    assert (observation["_count"], observation["_sort"]) == ("3", "-date") and len(newest) <= 3
    assert (appointment["_count"], appointment["_sort"]) == ("1", "date")
    assert schedule["type"] == "Schedule" and schedule["_elements"] == "actor,specialty"
    assert all(search["_count"] == "2" and search["_sort"] == "start" for search in slot_searches)
    # A server that honours _elements returns less; the slots are still named and matched.
    assert slots and all(slot.specialty and slot.practitioner for slot in slots)
