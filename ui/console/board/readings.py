"""Numeric readings out of FHIR Observations: `valueQuantity` and panel components, in canonical units."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tools import views
from tools.concepts.observations import LOINC_SYSTEM, ObservationConcept, ObservationTable
from ui.console.board.model import Reading


def _loinc(code: Any) -> str | None:
    if not isinstance(code, Mapping):
        return None
    for coding in code.get("coding") or []:
        if isinstance(coding, Mapping) and coding.get("system") == LOINC_SYSTEM and coding.get("code"):
            return str(coding["code"])
    return None


def _number(concept: ObservationConcept, quantity: Any) -> float | None:
    """The quantity's value in the concept's unit (UCUM code first, then the printed unit)."""
    if not isinstance(quantity, Mapping) or not isinstance(quantity.get("value"), int | float):
        return None
    value = float(quantity["value"])
    for unit in (quantity.get("code"), quantity.get("unit"), None):
        converted = concept.to_canonical(value, str(unit) if unit is not None else None)
        if converted is not None:
            return round(converted, 3)
    return None  # pragma: no cover - the `None` unit always converts


def readings_of(
    observation: views.Observation, table: ObservationTable
) -> Iterator[tuple[ObservationConcept, Reading]]:
    """Each (concept, reading) an Observation holds: its own value and each coded component's."""
    if observation.effective is None:
        return
    body = observation.source.json_body
    parts: list[tuple[str | None, Any]] = [(_loinc(body.get("code")), body.get("valueQuantity"))]
    parts += [(_loinc(c.get("code")), c.get("valueQuantity")) for c in body.get("component") or []]
    for code, quantity in parts:
        concept = table.by_loinc(code) if code else None
        value = _number(concept, quantity) if concept else None
        if concept is not None and value is not None:
            yield concept, Reading(when=observation.effective, value=value, reference=observation.reference)
