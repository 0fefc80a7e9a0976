"""The draft kinds a clinician may approve: what each proposes, in FHIR R4 that validates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from tools import parse
from tools.drafts import APPROVED_STATUS, DRAFT_IDENTIFIER_SYSTEM, Draft, referral_draft
from tools.drafts_orders import lab_order_draft, reading_draft
from tools.drafts_visits import cancellation_draft, replaced_appointment, reschedule_draft
from tools.views import Slot, SourceResource

PATIENT = "Patient/p1"
BOOKED: dict[str, Any] = {
    "resourceType": "Appointment",
    "id": "ap1",
    "meta": {"versionId": "3"},
    "status": "booked",
    "identifier": [{"system": "urn:clinic", "value": "A-1"}],
    "slot": [{"reference": "Slot/s-old"}],
    "start": "2026-12-01T09:30:00Z",
    "end": "2026-12-01T10:00:00Z",
    "specialty": [{"text": "Cardiology"}],
    "participant": [{"actor": {"reference": PATIENT}, "status": "accepted"}],
}
SLOT = Slot.model_validate(
    {
        "source": SourceResource(resource_type="Slot", id="s-new", json_body={}),
        "start": "2026-12-03T14:00:00+00:00",
        "end": "2026-12-03T14:30:00+00:00",
        "practitioner": "Dr. Ana Lee",
        "practitioner_ref": "Practitioner/pr1",
        "specialty": "Cardiology",
        "schedule_ref": "Schedule/sc1",
    }
)


def _valid(draft: Draft) -> dict[str, Any]:
    """The approved resource, checked against the R4 model; also checks the draft identifier is on it."""
    approved = draft.approved_resource()
    get_fhir_model_class(approved["resourceType"]).model_validate(approved)
    ours = [i for i in approved["identifier"] if i["system"] == DRAFT_IDENTIFIER_SYSTEM]
    assert ours == [{"system": DRAFT_IDENTIFIER_SYSTEM, "value": draft.identifier_value}]
    assert approved["status"] == APPROVED_STATUS[draft.kind]
    return approved


def test_cancellation_keeps_the_appointment_and_its_identifiers() -> None:
    draft = cancellation_draft(PATIENT, parse.appointment(BOOKED), "feeling better", "k1")
    assert draft.kind == "cancellation" and draft.summary == "Cancel the Cardiology on Tue Dec 01 at 09:30"
    assert draft.resource["status"] == "booked" and "meta" not in draft.resource
    approved = _valid(draft)
    assert approved["id"] == "ap1" and approved["status"] == "cancelled"
    assert approved["cancelationReason"]["coding"][0]["code"] == "pat"
    assert approved["cancelationReason"]["text"] == "feeling better"
    assert {"system": "urn:clinic", "value": "A-1"} in approved["identifier"]
    again = cancellation_draft(PATIENT, parse.appointment(BOOKED), "feeling better", "k1")
    assert again.identifier_value == draft.identifier_value


def test_reschedule_proposes_the_new_slot_and_names_the_visit_it_replaces() -> None:
    draft = reschedule_draft(PATIENT, parse.appointment(BOOKED), SLOT, "", "k1")
    assert draft.kind == "reschedule"
    assert draft.summary == "Move the Cardiology from Tue Dec 01 at 09:30 to Thu Dec 03 at 14:00"
    approved = _valid(draft)
    assert approved["slot"] == [{"reference": "Slot/s-new"}] and "id" not in approved
    assert replaced_appointment(approved) == "Appointment/ap1"
    assert replaced_appointment(BOOKED) is None


def test_referral_names_the_specialty_as_performer() -> None:
    approved = _valid(referral_draft(PATIENT, "dermatology", "changing mole", "k1"))
    assert approved["performerType"] == {"text": "dermatology"}
    assert approved["category"][0]["coding"][0]["code"] == "3457005"


def test_lab_order_is_a_laboratory_service_request() -> None:
    draft = lab_order_draft(PATIENT, "HbA1c", "diabetes check", "k1")
    assert draft.summary == "Order HbA1c for diabetes check" and draft.resource["status"] == "draft"
    approved = _valid(draft)
    assert approved["category"][0]["coding"][0]["code"] == "108252007"
    assert approved["code"] == {"text": "HbA1c"} and approved["subject"] == {"reference": PATIENT}


def test_reading_is_reported_by_the_patient_and_final_once_approved() -> None:
    taken = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    draft = reading_draft(PATIENT, "Body weight", "29463-7", 81.5, "kg", taken, "k1")
    assert draft.resource["status"] == "preliminary"
    assert draft.summary == "Record Body weight 81.5 kg (reported by the patient)"
    approved = _valid(draft)
    assert approved["status"] == "final" and approved["performer"] == [{"reference": PATIENT}]
    assert approved["effectiveDateTime"] == "2026-12-01T08:00:00Z"
    assert approved["valueQuantity"] == {"value": 81.5, "unit": "kg"}
