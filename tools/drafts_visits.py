"""Drafts that change a booked visit: cancel it, or move it to another free slot."""

from __future__ import annotations

from typing import Any

from tools import views
from tools.drafts import Draft, booking_draft, identifier_for, with_identifier

CANCEL_REASON_SYSTEM = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
REPLACES_EXTENSION = "urn:carecoord:replaces-appointment"
"""On a rescheduled visit's new Appointment: the Appointment it replaces (cancelled in the same write)."""


def cancellation_reason(reason: str) -> dict[str, Any]:
    """`Appointment.cancelationReason`: cancelled by the patient, in their words."""
    return {
        "coding": [{"system": CANCEL_REASON_SYSTEM, "code": "pat", "display": "Patient"}],
        "text": reason or "Cancelled at the patient's request",
    }


def cancellation_draft(
    patient_reference: str, appointment: views.Appointment, reason: str, request_key: str
) -> Draft:
    """The booked Appointment as it will be stored once cancelled (status set on approval)."""
    value = identifier_for("cancellation", patient_reference, appointment.reference, request_key)
    resource = {k: v for k, v in appointment.source.json_body.items() if k != "meta"}
    resource["cancelationReason"] = cancellation_reason(reason)
    resource["identifier"] = with_identifier(resource.get("identifier"), value)
    when = f" on {appointment.start:%a %b %d at %H:%M}" if appointment.start else ""
    what = appointment.specialty or "visit"
    return Draft(
        kind="cancellation",
        patient_reference=patient_reference,
        resource=resource,
        identifier_value=value,
        summary=f"Cancel the {what}{when}",
    )


def reschedule_draft(
    patient_reference: str, appointment: views.Appointment, slot: views.Slot, reason: str, request_key: str
) -> Draft:
    """A proposed Appointment in `slot` that replaces `appointment` (cancelled when it is approved)."""
    booking = booking_draft(patient_reference, slot, reason, request_key)
    value = identifier_for(
        "reschedule", patient_reference, f"{appointment.reference}>{slot.reference}", request_key
    )
    resource = dict(booking.resource)
    resource["identifier"] = with_identifier(None, value)
    resource["extension"] = [
        {"url": REPLACES_EXTENSION, "valueReference": {"reference": appointment.reference}}
    ]
    was = f" from {appointment.start:%a %b %d at %H:%M}" if appointment.start else ""
    return Draft(
        kind="reschedule",
        patient_reference=patient_reference,
        resource=resource,
        identifier_value=value,
        summary=f"Move the {appointment.specialty or 'visit'}{was} to {slot.start:%a %b %d at %H:%M}",
    )


def replaced_appointment(resource: dict[str, Any]) -> str | None:
    """The `Appointment/id` a rescheduled visit replaces, if `resource` is one."""
    for extension in resource.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == REPLACES_EXTENSION:
            return str((extension.get("valueReference") or {}).get("reference") or "") or None
    return None
