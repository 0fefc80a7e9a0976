"""A small clinic on a real FHIR server (our sandbox or the Medplum peer) and a review service over it.

The patient's side is a recording `ThreadResumer` that words decisions exactly as the agent does
(`agent.nodes.wait.decision_text`): the agent's own thread handling is tested in `test_decisions.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from agent.escalations import EscalationRequest
from agent.models import Decision
from agent.nodes.wait import decision_text
from carecoord.audit import AuditLog
from carecoord.db import make_engine
from carecoord.review.contracts import ApprovalPolicy
from carecoord.review.queue import ReviewQueue
from carecoord.review.service import ReviewService
from carecoord.review.tasks import TaskMirror
from carecoord.users import UserStore
from tests.fixtures.agent import session_keyring
from tools import parse
from tools.drafts import DRAFT_IDENTIFIER_SYSTEM, Draft
from tools.fhir import FhirGateway
from tools.record import PatientRecord

FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
POLICY_REPEATS = 2


@dataclass
class RecordingThreads:
    """Every thread waits for its item; the patient's line is the agent's wording of the decision."""

    told: dict[str, str] = field(default_factory=dict)

    def is_waiting(self, thread_id: str, item_id: str | None = None) -> bool:
        return thread_id not in self.told

    def deliver(self, patient_id: str, thread_id: str, decision: Decision) -> str:
        self.told[thread_id] = decision_text(decision)
        return self.told[thread_id]

    def delivered(self, thread_id: str, item_id: str) -> str | None:
        return self.told.get(thread_id)


@dataclass
class Clinic:
    """One patient's corner of the EHR: an active order, a booked visit, free slots with a clinician."""

    patient_id: str
    practitioner: str
    order: dict[str, Any]
    visit: dict[str, Any]
    visit_slot: str
    free_slots: list[str]


@dataclass
class ApprovalWorld:
    """The review service on one FHIR server, with helpers to file items and read the EHR back."""

    base_url: str
    service: ReviewService
    queue: ReviewQueue
    audit: AuditLog
    gateway: FhirGateway
    threads: RecordingThreads

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url.rstrip("/") + "/", headers=FHIR_JSON, timeout=30.0)

    def read(self, reference: str) -> dict[str, Any]:
        with self.http() as client:
            response = client.get(reference)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def search(self, resource_type: str, **params: str) -> list[dict[str, Any]]:
        with self.http() as client:
            response = client.get(resource_type, params={**params, "_count": "100"})
        response.raise_for_status()
        return [entry["resource"] for entry in response.json().get("entry", [])]

    def written(self, draft: Draft) -> list[dict[str, Any]]:
        """Resources carrying the draft's identifier."""
        kind = str(draft.resource["resourceType"])
        return self.search(kind, identifier=f"{DRAFT_IDENTIFIER_SYSTEM}|{draft.identifier_value}")

    def record(self, clinic: Clinic) -> PatientRecord:
        return PatientRecord(gateway=self.gateway, patient_id=clinic.patient_id)

    def file(self, clinic: Clinic, draft: Draft) -> str:
        """File an action approval for `draft` as the agent does; returns the item id."""
        thread = f"thread-{uuid.uuid4().hex[:8]}"
        request = EscalationRequest(
            dedupe_key=f"{thread}:action",
            patient_id=clinic.patient_id,
            thread_id=thread,
            kind="action_approval",
            level="routine",
            summary=draft.summary,
            rationale="The patient asked for it.",
            question="Can you do this for me?",
            draft_kind=draft.kind,
            draft_resource=draft.resource,
            draft_identifier=draft.identifier_value,
        )
        return self.queue.file(request).id

    def told(self, item_id: str) -> str | None:
        return self.threads.told.get(self.queue.require(item_id).thread_id)

    def seed(self) -> Clinic:
        """A new patient with metformin (11 refills), a booked visit, and two free slots."""
        tag = uuid.uuid4().hex[:10]
        with self.http() as client:
            patient = _post(client, {"resourceType": "Patient", "name": [{"family": f"Test{tag}"}]})
            doctor = _post(client, {"resourceType": "Practitioner", "name": [{"text": "Dr. Ana Lee"}]})
            doctor_ref = f"Practitioner/{doctor['id']}"
            schedule = _post(
                client,
                {
                    "resourceType": "Schedule",
                    "active": True,
                    "actor": [{"reference": doctor_ref, "display": "Dr. Ana Lee"}],
                    "specialty": [{"text": f"Cardiology {tag}"}],
                },
            )
            start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
            slots = [
                _post(client, _slot(schedule["id"], start + timedelta(hours=h), "busy" if h == 0 else "free"))
                for h in range(3)
            ]
            patient_ref = f"Patient/{patient['id']}"
            order = _post(
                client,
                {
                    "resourceType": "MedicationRequest",
                    "status": "active",
                    "intent": "order",
                    "subject": {"reference": patient_ref},
                    "medicationCodeableConcept": {"text": "metformin 500 mg oral tablet"},
                    "requester": {"reference": "Practitioner/original-prescriber"},
                    "authoredOn": "2026-01-05",
                    "dosageInstruction": [{"text": "Take 1 tablet twice daily"}],
                    "dispenseRequest": {
                        "numberOfRepeatsAllowed": 11,
                        "quantity": {"value": 180, "unit": "tablet"},
                        "expectedSupplyDuration": {"value": 90, "unit": "days"},
                    },
                },
            )
            visit = _post(
                client,
                {
                    "resourceType": "Appointment",
                    "status": "booked",
                    "slot": [{"reference": f"Slot/{slots[0]['id']}"}],
                    "start": slots[0]["start"],
                    "end": slots[0]["end"],
                    "specialty": [{"text": "Cardiology"}],
                    "participant": [
                        {"actor": {"reference": patient_ref}, "status": "accepted"},
                        {"actor": {"reference": doctor_ref, "display": "Dr. Ana Lee"}, "status": "accepted"},
                    ],
                },
            )
        return Clinic(
            patient_id=patient["id"],
            practitioner=doctor_ref,
            order=order,
            visit=visit,
            visit_slot=f"Slot/{slots[0]['id']}",
            free_slots=[f"Slot/{s['id']}" for s in slots[1:]],
        )

    def slot_view(self, clinic: Clinic, slot_ref: str) -> Any:
        return self.record(clinic).slot(slot_ref.split("/")[1])

    def visit_view(self, clinic: Clinic) -> Any:
        return parse.appointment(self.read(f"Appointment/{clinic.visit['id']}"))


def _slot(schedule_id: str, start: datetime, status: str) -> dict[str, Any]:
    return {
        "resourceType": "Slot",
        "schedule": {"reference": f"Schedule/{schedule_id}"},
        "status": status,
        "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _post(client: httpx.Client, resource: dict[str, Any]) -> dict[str, Any]:
    response = client.post(str(resource["resourceType"]), json=resource)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@contextmanager
def approval_world(base_url: str, tmp_path: Path) -> Iterator[ApprovalWorld]:
    """The review service over `base_url` and a fresh SQLite database, with clinicians drlee and drkim."""
    engine = make_engine(f"sqlite:///{tmp_path / 'review.sqlite3'}", session_keyring())
    try:
        gateway = FhirGateway(base_url, timeout_s=30.0, attempts=2)
        audit = AuditLog(engine)
        queue = ReviewQueue(engine, tasks=TaskMirror(gateway), audit=audit)
        users = UserStore(engine, rounds=4)
        users.add("drlee", "correct horse", "clinician", "Dr. Lee")
        users.add("drkim", "battery staple", "clinician", "Dr. Kim")
        threads = RecordingThreads()
        service = ReviewService(
            queue, audit, users, gateway, threads, policy=ApprovalPolicy(refill_repeats=POLICY_REPEATS)
        )
        yield ApprovalWorld(base_url, service, queue, audit, gateway, threads)
    finally:
        engine.dispose()
