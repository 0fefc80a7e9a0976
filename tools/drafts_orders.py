"""Drafts of orders and patient-reported readings: a lab/test ServiceRequest, an Observation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tools.drafts import DRAFT_IDENTIFIER_SYSTEM, Draft, identifier_for, now_text

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
LABORATORY = {"coding": [{"system": SNOMED, "code": "108252007", "display": "Laboratory procedure"}]}
"""`ServiceRequest.category` of a lab or test order (the R4 example value set)."""
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def lab_order_draft(patient_reference: str, test: str, reason: str, request_key: str) -> Draft:
    """A draft ServiceRequest (category laboratory) for a test the patient asked for."""
    value = identifier_for("lab_order", patient_reference, test.lower(), request_key)
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "subject": {"reference": patient_reference},
        "authoredOn": now_text(),
        "category": [LABORATORY],
        "code": {"text": test},
        "identifier": [{"system": DRAFT_IDENTIFIER_SYSTEM, "value": value}],
    }
    if reason:
        resource["reasonCode"] = [{"text": reason}]
    return Draft(
        kind="lab_order",
        patient_reference=patient_reference,
        resource=resource,
        identifier_value=value,
        summary=f"Order {test}" + (f" for {reason}" if reason else ""),
    )


def reading_draft(
    patient_reference: str,
    name: str,
    loinc: str,
    value: float,
    unit: str,
    taken_at: datetime,
    request_key: str,
    category: str = "vital-signs",
    components: Sequence[tuple[str, str, float]] = (),
) -> Draft:
    """A preliminary Observation the patient reported (performer the patient); final once approved.

    A panel reading (blood pressure 118/77) gives its parts as `components` (LOINC, name, value): the
    numbers then live in `Observation.component`, as FHIR's vital-signs profile records them.
    """
    identifier = identifier_for("reading", patient_reference, f"{loinc}|{value}|{taken_at}", request_key)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "preliminary",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}],
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": name}], "text": name},
        "subject": {"reference": patient_reference},
        "performer": [{"reference": patient_reference}],
        "effectiveDateTime": taken_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "valueQuantity": {"value": value, "unit": unit},
        "identifier": [{"system": DRAFT_IDENTIFIER_SYSTEM, "value": identifier}],
    }
    if components:
        del resource["valueQuantity"]
        resource["component"] = [
            {
                "code": {"coding": [{"system": LOINC, "code": code, "display": part}], "text": part},
                "valueQuantity": {"value": number, "unit": unit},
            }
            for code, part, number in components
        ]
    shown = "/".join(f"{number:g}" for _, _, number in components) if components else f"{value:g}"
    return Draft(
        kind="reading",
        patient_reference=patient_reference,
        resource=resource,
        identifier_value=identifier,
        summary=f"Record {name} {shown} {unit} (reported by the patient)",
    )
