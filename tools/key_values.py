"""A cited resource's key values in one line: what a record citation shows instead of repeating the answer.

A patient (or a clinician checking the answer) opens a record source to see what the record holds:
"Potassium · 4.3 mmol/L · 2026-10-01 · final", not the sentence the answer already said. The line is
built from the resource's own fields through the same parsers the tools read it with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tools import parse
from tools.concepts.named import observation_name
from tools.concepts.units import shown_unit

SEPARATOR = " · "


def key_values(resource: Mapping[str, Any]) -> str:
    """`Potassium · 4.3 mmol/L · 2026-10-01 · final`; the bare `Type/id` for kinds without a reader."""
    reader = _READERS.get(str(resource.get("resourceType", "")))
    try:
        parts = reader(resource) if reader is not None else []
    except (ValueError, TypeError, KeyError):  # a malformed resource still cites as `Type/id`
        parts = []
    shown = [part for part in parts if part]
    return SEPARATOR.join(shown) if shown else f"{resource.get('resourceType')}/{resource.get('id')}"


def _observation(resource: Mapping[str, Any]) -> list[str]:
    seen = parse.observation(resource)
    value = f"{seen.value} {shown_unit(seen.unit)}".strip()
    ranges = [_range(r) for r in resource.get("referenceRange") or [] if isinstance(r, Mapping)]
    return [
        observation_name(seen),
        value,
        f"{seen.effective:%Y-%m-%d %H:%M}" if seen.effective else "",
        next((f"range {r}" for r in ranges if r), ""),
        str(resource.get("status") or ""),
    ]


def _range(reference: Mapping[str, Any]) -> str:
    low, high = reference.get("low") or {}, reference.get("high") or {}
    unit = high.get("unit") or low.get("unit") or ""
    if low.get("value") is not None and high.get("value") is not None:
        return f"{low['value']}–{high['value']} {unit}".strip()
    if high.get("value") is not None:
        return f"≤ {high['value']} {unit}".strip()
    if low.get("value") is not None:
        return f"≥ {low['value']} {unit}".strip()
    return str(reference.get("text") or "")


def _medication(resource: Mapping[str, Any]) -> list[str]:
    seen = parse.medication(resource)
    refills = f"{seen.refills_allowed} refills" if seen.refills_allowed is not None else ""
    return [
        seen.name,
        seen.dosage or "",
        seen.status,
        f"written {seen.authored_on:%Y-%m-%d}" if seen.authored_on else "",
        refills,
    ]


def _appointment(resource: Mapping[str, Any]) -> list[str]:
    seen = parse.appointment(resource)
    return [
        f"{seen.start:%Y-%m-%d %H:%M}" if seen.start else "time to be set",
        seen.specialty or seen.description or "",
        seen.practitioner or "",
        seen.status,
    ]


def _condition(resource: Mapping[str, Any]) -> list[str]:
    seen = parse.condition(resource)
    return [seen.name, seen.clinical_status or "", f"since {seen.onset:%Y-%m-%d}" if seen.onset else ""]


def _allergy(resource: Mapping[str, Any]) -> list[str]:
    seen = parse.allergy(resource)
    return [
        seen.substance,
        ", ".join(seen.reactions),
        f"{seen.criticality} criticality" if seen.criticality else "",
    ]


def _immunization(resource: Mapping[str, Any]) -> list[str]:
    seen = parse.immunization(resource)
    lot = str(resource.get("lotNumber") or "")
    return [
        seen.vaccine,
        f"given {seen.occurred:%Y-%m-%d}" if seen.occurred else "date not recorded",
        seen.status or "",
        f"lot {lot}" if lot else "",
    ]


def _patient(resource: Mapping[str, Any]) -> list[str]:
    seen = parse.patient(resource)
    return [seen.name, f"born {seen.birth_date:%Y-%m-%d}" if seen.birth_date else "", seen.sex or ""]


def _slot(resource: Mapping[str, Any]) -> list[str]:
    seen = parse.slot(resource, None)
    return [f"{seen.start:%Y-%m-%d %H:%M}–{seen.end:%H:%M}", seen.specialty or "", "open"]


def _care_plan(resource: Mapping[str, Any]) -> list[str]:
    seen = parse.care_plan(resource)
    return [seen.title, seen.status, "; ".join(seen.activities[:3])]


_READERS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "Observation": _observation,
    "MedicationRequest": _medication,
    "Appointment": _appointment,
    "Condition": _condition,
    "AllergyIntolerance": _allergy,
    "Immunization": _immunization,
    "Patient": _patient,
    "Slot": _slot,
    "CarePlan": _care_plan,
}
