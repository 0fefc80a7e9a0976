"""Turn raw FHIR JSON into the typed views in `tools.views`, tolerating what real servers leave out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from tools import views

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
CVX = "http://hl7.org/fhir/sid/cvx"


def source(resource: Mapping[str, Any]) -> views.SourceResource:
    """Wrap raw JSON as a citable source."""
    return views.SourceResource(
        resource_type=str(resource.get("resourceType")), id=str(resource.get("id")), json_body=dict(resource)
    )


def concept_text(concept: Any) -> str | None:
    """The readable name of a CodeableConcept: its text, else the first coding's display or code."""
    if not isinstance(concept, Mapping):
        return None
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding") or []:
        if coding.get("display"):
            return str(coding["display"])
    for coding in concept.get("coding") or []:
        if coding.get("code"):
            return str(coding["code"])
    return None


def concept_code(concept: Any, system: str) -> str | None:
    """The code of the first coding in `system`."""
    if not isinstance(concept, Mapping):
        return None
    for coding in concept.get("coding") or []:
        if coding.get("system") == system and coding.get("code"):
            return str(coding["code"])
    return None


def to_date(value: Any) -> date | None:
    """A FHIR date/dateTime as a date (partial dates fall back to their first day)."""
    if not value:
        return None
    text = str(value)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        try:
            return date.fromisoformat((text + "-01-01")[:10])
        except ValueError:
            return None


def to_datetime(value: Any) -> datetime | None:
    """A FHIR dateTime/instant as an aware datetime when it carries a zone."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def human_name(resource: Mapping[str, Any]) -> str:
    """`Given Family` from the first usable HumanName."""
    for name in resource.get("name") or []:
        if name.get("text"):
            return str(name["text"])
        given = " ".join(name.get("given") or [])
        family = name.get("family") or ""
        full = f"{given} {family}".strip()
        if full:
            return full
    return "Unknown"


def patient(resource: Mapping[str, Any]) -> views.PatientSummary:
    """The Patient resource as a summary."""
    return views.PatientSummary(
        source=source(resource),
        name=human_name(resource),
        birth_date=to_date(resource.get("birthDate")),
        sex=resource.get("gender"),
    )


def medication(resource: Mapping[str, Any]) -> views.Medication:
    """A MedicationRequest as the patient would describe it."""
    concept = resource.get("medicationCodeableConcept")
    reference = resource.get("medicationReference") or {}
    name = concept_text(concept) or str(reference.get("display") or "unnamed medication")
    dosage = next((str(d["text"]) for d in resource.get("dosageInstruction") or [] if d.get("text")), None)
    dispense = resource.get("dispenseRequest") or {}
    quantity = dispense.get("quantity") or {}
    quantity_text = None
    if quantity.get("value") is not None:
        quantity_text = f"{_number(quantity['value'])} {quantity.get('unit') or ''}".strip()
    repeats = dispense.get("numberOfRepeatsAllowed")
    return views.Medication(
        source=source(resource),
        name=name,
        rxnorm=concept_code(concept, RXNORM),
        status=str(resource.get("status") or "unknown"),
        dosage=dosage,
        refills_allowed=int(repeats) if repeats is not None else None,
        validity_end=to_date((dispense.get("validityPeriod") or {}).get("end")),
        authored_on=to_date(resource.get("authoredOn")),
        quantity=quantity_text,
    )


def condition(resource: Mapping[str, Any]) -> views.Condition:
    """A Condition as a problem-list line."""
    return views.Condition(
        source=source(resource),
        name=concept_text(resource.get("code")) or "unnamed condition",
        icd10=concept_code(resource.get("code"), ICD10),
        clinical_status=concept_code(
            resource.get("clinicalStatus"), "http://terminology.hl7.org/CodeSystem/condition-clinical"
        ),
        onset=to_date(resource.get("onsetDateTime") or resource.get("recordedDate")),
    )


def allergy(resource: Mapping[str, Any]) -> views.Allergy:
    """An AllergyIntolerance with its reactions."""
    reactions = tuple(
        text
        for reaction in resource.get("reaction") or []
        for manifestation in reaction.get("manifestation") or []
        if (text := concept_text(manifestation))
    )
    return views.Allergy(
        source=source(resource),
        substance=concept_text(resource.get("code")) or "unknown substance",
        reactions=reactions,
        criticality=resource.get("criticality"),
    )


def immunization(resource: Mapping[str, Any]) -> views.Immunization:
    """An Immunization as the vaccine given and when."""
    return views.Immunization(
        source=source(resource),
        vaccine=concept_text(resource.get("vaccineCode")) or "unnamed vaccine",
        cvx=concept_code(resource.get("vaccineCode"), CVX),
        occurred=to_date(resource.get("occurrenceDateTime") or resource.get("recorded")),
        status=resource.get("status"),
    )


def _number(value: Any) -> str:
    """Print 7.0 as 7 and 7.25 as 7.25, as people write them."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _quantity_text(quantity: Mapping[str, Any]) -> tuple[str, str | None]:
    return _number(quantity.get("value")), quantity.get("unit") or quantity.get("code")


def observation(resource: Mapping[str, Any]) -> views.Observation:
    """An Observation; blood pressure panels read as `systolic/diastolic`."""
    value, unit = "", None
    if isinstance(resource.get("valueQuantity"), Mapping):
        value, unit = _quantity_text(resource["valueQuantity"])
    elif resource.get("valueString") is not None:
        value = str(resource["valueString"])
    elif resource.get("valueCodeableConcept"):
        value = concept_text(resource["valueCodeableConcept"]) or ""
    components = resource.get("component") or []
    if not value and components:
        parts = []
        for component in components:
            if isinstance(component.get("valueQuantity"), Mapping):
                part_value, unit = _quantity_text(component["valueQuantity"])
                parts.append(part_value)
        value = "/".join(parts)
    categories = resource.get("category") or []
    return views.Observation(
        source=source(resource),
        name=concept_text(resource.get("code")) or "observation",
        loinc=concept_code(resource.get("code"), LOINC),
        value=value,
        unit=unit,
        effective=to_datetime(resource.get("effectiveDateTime") or resource.get("issued")),
        category=concept_code(categories[0], "http://terminology.hl7.org/CodeSystem/observation-category")
        if categories
        else None,
    )


def _practitioner_actor(resource: Mapping[str, Any]) -> str | None:
    for participant in resource.get("participant") or []:
        actor = participant.get("actor") or {}
        if str(actor.get("reference", "")).startswith(("Practitioner/", "PractitionerRole/")):
            return str(actor.get("display") or actor.get("reference"))
    return None


def appointment(resource: Mapping[str, Any]) -> views.Appointment:
    """An Appointment with who and what it is with."""
    specialty = next((concept_text(c) for c in resource.get("specialty") or [] if concept_text(c)), None)
    specialty = specialty or next((concept_text(c) for c in resource.get("serviceType") or []), None)
    return views.Appointment(
        source=source(resource),
        start=to_datetime(resource.get("start")),
        end=to_datetime(resource.get("end")),
        status=str(resource.get("status") or "unknown"),
        practitioner=_practitioner_actor(resource),
        specialty=specialty,
        description=resource.get("description"),
    )


def slot(resource: Mapping[str, Any], schedule: Mapping[str, Any] | None) -> views.Slot:
    """A free Slot, named by the practitioner and specialty of its Schedule."""
    start = to_datetime(resource.get("start"))
    end = to_datetime(resource.get("end"))
    if start is None or end is None:
        raise ValueError(f"Slot/{resource.get('id')} has no start or end")
    practitioner, practitioner_ref, specialty = None, None, None
    if schedule is not None:
        for actor in schedule.get("actor") or []:
            ref = str(actor.get("reference", ""))
            if ref.startswith("Practitioner/") or (
                practitioner_ref is None and ref.startswith("PractitionerRole/")
            ):
                practitioner, practitioner_ref = actor.get("display") or practitioner, ref
        specialty = next((concept_text(c) for c in schedule.get("specialty") or []), None)
    specialty = next((concept_text(c) for c in resource.get("specialty") or []), None) or specialty
    return views.Slot(
        source=source(resource),
        start=start,
        end=end,
        practitioner=practitioner,
        practitioner_ref=practitioner_ref,
        specialty=specialty,
        schedule_ref=str((resource.get("schedule") or {}).get("reference", "")),
    )


def care_plan(resource: Mapping[str, Any]) -> views.CarePlan:
    """A CarePlan with its activity descriptions."""
    activities = tuple(
        str(detail["description"])
        for activity in resource.get("activity") or []
        if (detail := activity.get("detail") or {}).get("description")
    )
    title = resource.get("title") or next(
        (concept_text(c) for c in resource.get("category") or [] if concept_text(c)), "Care plan"
    )
    return views.CarePlan(
        source=source(resource),
        title=str(title),
        status=str(resource.get("status") or "unknown"),
        activities=activities,
        period_start=to_date((resource.get("period") or {}).get("start")),
    )
