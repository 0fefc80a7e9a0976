"""What the patient is told was approved: read from the resource as written, edits included."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from tools import parse

Resource = dict[str, Any]


def approved_action(kind: str, written: Resource, drafted_summary: str) -> str:
    """The approved action in plain words, from the values the EHR now holds."""
    describe: Callable[[Resource], str | None] | None = {
        "refill": _refill,
        "booking": lambda visit: _visit(visit, "Book"),
        "reschedule": lambda visit: _visit(visit, "Move to"),
        "referral": _referral,
        "lab_order": _lab_order,
        "reading": _reading,
    }.get(kind)
    said = describe(written) if describe else None
    return said or drafted_summary


def _refill(order: Resource) -> str | None:
    name = parse.concept_text(order.get("medicationCodeableConcept") or {})
    if not name:
        name = str((order.get("medicationReference") or {}).get("display") or "")
    if not name:
        return None
    dispense = order.get("dispenseRequest") or {}
    parts = []
    quantity = dispense.get("quantity") or {}
    if quantity.get("value") is not None:
        parts.append(f"{quantity['value']:g} {quantity.get('unit') or ''}".strip())
    supply = dispense.get("expectedSupplyDuration") or {}
    if supply.get("value") is not None:
        parts.append(f"{supply['value']:g} days' supply")
    repeats = dispense.get("numberOfRepeatsAllowed")
    if repeats is not None:
        parts.append(f"{repeats} refill" + ("" if repeats == 1 else "s"))
    return f"Refill {name}" + (f" ({', '.join(parts)})" if parts else "")


def _visit(visit: Resource, verb: str) -> str | None:
    start = visit.get("start")
    if not start:
        return None
    when = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
    specialty = next((parse.concept_text(c) for c in visit.get("specialty") or []), None)
    who = next(
        (
            str(p["actor"]["display"])
            for p in visit.get("participant") or []
            if str((p.get("actor") or {}).get("reference", "")).startswith("Practitioner")
            and (p.get("actor") or {}).get("display")
        ),
        None,
    )
    with_whom = f" with {who}" if who else ""
    return f"{verb} {specialty or 'a visit'}{with_whom} on {when:%a %b %d at %H:%M}"


def _referral(request: Resource) -> str | None:
    specialty = parse.concept_text(request.get("performerType") or {})
    return f"Referral to {specialty}" if specialty else None


def _lab_order(request: Resource) -> str | None:
    test = parse.concept_text(request.get("code") or {})
    return f"Order {test}" if test else None


def _reading(observation: Resource) -> str | None:
    name = parse.concept_text(observation.get("code") or {})
    value = (observation.get("valueQuantity") or {}).get("value")
    if not name or value is None:
        return None
    unit = (observation.get("valueQuantity") or {}).get("unit") or ""
    return f"Record {name} {value:g} {unit}".strip()
