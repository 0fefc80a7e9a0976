"""Drafted actions: FHIR resources the agent proposes and only a clinician's approval may write.

Each draft carries a stable identifier derived from what it asks for, so committing the same approved
draft twice (a retry, a crash between commit and bookkeeping) finds the first write instead of
duplicating it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from tools import views

DRAFT_IDENTIFIER_SYSTEM = "urn:carecoord:draft"

DraftKind = Literal[
    "refill", "booking", "cancellation", "reschedule", "referral", "lab_order", "reading", "message"
]
"""Every action a clinician may approve; `carecoord/review/contracts.md` says what each writes."""

APPROVED_STATUS: dict[DraftKind, str] = {
    "refill": "active",
    "booking": "booked",
    "cancellation": "cancelled",
    "reschedule": "booked",
    "referral": "active",
    "lab_order": "active",
    "reading": "final",
    "message": "completed",
}
"""What each draft's resource becomes once a clinician approves it."""
AWAITING_NOTE = "awaiting clinician approval"
"""Drafts filed before issue 14 said this in a note; an approved order must not carry it."""


class Risk(StrEnum):
    """How much a tool may change: reads are free, drafts need review, commits need an approval."""

    READ = "read"
    DRAFT = "draft"
    COMMIT = "commit"


class Draft(BaseModel):
    """A proposed FHIR write, held for clinician review."""

    model_config = ConfigDict(frozen=True)

    kind: DraftKind
    patient_reference: str
    resource: dict[str, Any]
    """The resource in its draft status (draft / proposed / preparation), as the clinician sees it."""
    identifier_value: str
    summary: str
    """The action in plain words, e.g. "Refill metformin 500 mg oral tablet (60 tablet, 1 refill)"."""

    @property
    def condition(self) -> str:
        """The `If-None-Exist` query that makes the commit idempotent."""
        return f"identifier={DRAFT_IDENTIFIER_SYSTEM}|{self.identifier_value}"

    def approved_resource(self, edited: dict[str, Any] | None = None) -> dict[str, Any]:
        """The resource to write once approved (optionally as a clinician edited it)."""
        resource = dict(edited or self.resource)
        resource["status"] = APPROVED_STATUS[self.kind]
        resource["identifier"] = with_identifier(resource.get("identifier"), self.identifier_value)
        return resource


def with_identifier(identifiers: Any, value: str) -> list[dict[str, Any]]:
    """`identifiers` with the draft identifier `value` (replacing any other draft identifier)."""
    kept = [
        i for i in identifiers or [] if isinstance(i, dict) and i.get("system") != DRAFT_IDENTIFIER_SYSTEM
    ]
    return [*kept, {"system": DRAFT_IDENTIFIER_SYSTEM, "value": value}]


def identifier_for(kind: str, patient_reference: str, target: str, request_key: str) -> str:
    """The stable identifier of a draft: the same request drafts the same value."""
    digest = hashlib.sha256(f"{kind}|{patient_reference}|{target}|{request_key}".encode()).hexdigest()
    return f"{kind}-{digest[:24]}"


def now_text() -> str:
    """Now, as a FHIR dateTime in UTC."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def refill_draft(patient_reference: str, medication: views.Medication, request_key: str) -> Draft:
    """A new MedicationRequest continuing `medication`, pointing back to it as prior prescription."""
    original = medication.source.json_body
    value = identifier_for("refill", patient_reference, medication.reference, request_key)
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": patient_reference},
        "authoredOn": now_text(),
        "priorPrescription": {"reference": medication.reference},
        "identifier": [{"system": DRAFT_IDENTIFIER_SYSTEM, "value": value}],
        "note": [{"text": "Refill requested by the patient through CareCoord."}],
    }
    for key in ("medicationCodeableConcept", "medicationReference", "dosageInstruction", "requester"):
        if key in original:
            resource[key] = original[key]
    dispense = dict(original.get("dispenseRequest") or {})
    dispense.pop("validityPeriod", None)
    if dispense:
        resource["dispenseRequest"] = dispense
    quantity = f" ({medication.quantity})" if medication.quantity else ""
    return Draft(
        kind="refill",
        patient_reference=patient_reference,
        resource=resource,
        identifier_value=value,
        summary=f"Refill {medication.name}{quantity}",
    )


def booking_draft(patient_reference: str, slot: views.Slot, reason: str, request_key: str) -> Draft:
    """A proposed Appointment in `slot` with the slot's clinician."""
    value = identifier_for("booking", patient_reference, slot.reference, request_key)
    participants: list[dict[str, Any]] = [
        {"actor": {"reference": patient_reference}, "status": "accepted", "required": "required"}
    ]
    if slot.practitioner_ref:
        actor: dict[str, Any] = {"reference": slot.practitioner_ref}
        if slot.practitioner:
            actor["display"] = slot.practitioner
        participants.append({"actor": actor, "status": "needs-action", "required": "required"})
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "status": "proposed",
        "slot": [{"reference": slot.reference}],
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "participant": participants,
        "identifier": [{"system": DRAFT_IDENTIFIER_SYSTEM, "value": value}],
        "description": reason or "Requested by the patient through CareCoord",
    }
    if slot.specialty:
        resource["specialty"] = [{"text": slot.specialty}]
    who = f" with {slot.practitioner}" if slot.practitioner else ""
    return Draft(
        kind="booking",
        patient_reference=patient_reference,
        resource=resource,
        identifier_value=value,
        summary=f"Book {slot.specialty or 'a visit'}{who} on {slot.start:%a %b %d at %H:%M}",
    )


def referral_draft(patient_reference: str, specialty: str, reason: str, request_key: str) -> Draft:
    """A draft referral ServiceRequest."""
    value = identifier_for("referral", patient_reference, specialty.lower(), request_key)
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "subject": {"reference": patient_reference},
        "authoredOn": now_text(),
        "category": [
            {
                "coding": [
                    {"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}
                ]
            }
        ],
        "code": {"text": f"Referral to {specialty}"},
        "performerType": {"text": specialty},
        "identifier": [{"system": DRAFT_IDENTIFIER_SYSTEM, "value": value}],
    }
    if reason:
        resource["reasonCode"] = [{"text": reason}]
    return Draft(
        kind="referral",
        patient_reference=patient_reference,
        resource=resource,
        identifier_value=value,
        summary=f"Referral to {specialty}" + (f" for {reason}" if reason else ""),
    )


def message_draft(patient_reference: str, text: str, request_key: str) -> Draft:
    """A Communication from the patient to the care team."""
    value = identifier_for("message", patient_reference, text, request_key)
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "status": "preparation",
        "subject": {"reference": patient_reference},
        "sender": {"reference": patient_reference},
        "sent": now_text(),
        "payload": [{"contentString": text}],
        "identifier": [{"system": DRAFT_IDENTIFIER_SYSTEM, "value": value}],
    }
    return Draft(
        kind="message",
        patient_reference=patient_reference,
        resource=resource,
        identifier_value=value,
        summary=f"Message to the care team: {text[:80]}",
    )
