"""The edit form of each action kind: the few values a clinician changes, applied to the draft resource.

Pure functions over typed form values (the widgets are in `views/edit_form.py`); the service then checks
the edited resource against the R4 models before anything is written.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, Field

from tools import parse

Resource = dict[str, Any]
UCUM = "http://unitsofmeasure.org"


class RefillForm(BaseModel):
    """A refill: how much, for how long, how many refills."""

    quantity: float = Field(gt=0)
    unit: str
    days_supply: int | None = Field(default=None, gt=0)
    refills: int = Field(ge=0, le=11)
    note: str = ""


class VisitForm(BaseModel):
    """A booking or reschedule: which free slot."""

    slot: str
    """`Slot/<id>`."""
    start: str
    end: str
    note: str = ""


class ReferralForm(BaseModel):
    """A referral: to which specialty."""

    specialty: str = Field(min_length=2)
    note: str = ""


class LabOrderForm(BaseModel):
    """A lab or test order: which test."""

    test: str = Field(min_length=2)
    note: str = ""


class ReadingForm(BaseModel):
    """A patient-reported reading: its value."""

    value: float
    unit: str


class CancellationForm(BaseModel):
    """A cancellation: the reason kept on the Appointment."""

    reason: str = Field(min_length=2)


EditForm = RefillForm | VisitForm | ReferralForm | LabOrderForm | ReadingForm | CancellationForm


def form_for(kind: str, resource: Resource, refill_repeats: int) -> EditForm | None:
    """The form prefilled from the draft (a refill's refills from clinic policy); None: JSON only."""
    note = _note(resource)
    if kind == "refill":
        dispense = resource.get("dispenseRequest") or {}
        quantity = dispense.get("quantity") or {}
        supply = (dispense.get("expectedSupplyDuration") or {}).get("value")
        return RefillForm(
            quantity=float(quantity.get("value") or 1),
            unit=str(quantity.get("unit") or "tablet"),
            days_supply=int(supply) if supply else None,
            refills=refill_repeats,
            note=note,
        )
    if kind in ("booking", "reschedule"):
        slot = str(((resource.get("slot") or [{}])[0]).get("reference") or "")
        comment = str(resource.get("comment") or "")
        return VisitForm(
            slot=slot, start=str(resource.get("start")), end=str(resource.get("end")), note=comment
        )
    if kind == "referral":
        specialty = parse.concept_text(resource.get("performerType") or {}) or ""
        return ReferralForm(specialty=specialty or "specialist", note=note)
    if kind == "lab_order":
        return LabOrderForm(test=parse.concept_text(resource.get("code") or {}) or "test", note=note)
    if kind == "reading":
        quantity = resource.get("valueQuantity") or {}
        return ReadingForm(value=float(quantity.get("value") or 0), unit=str(quantity.get("unit") or ""))
    if kind == "cancellation":
        return CancellationForm(reason=parse.concept_text(resource.get("cancelationReason") or {}) or "")
    return None


def apply_form(resource: Resource, form: EditForm, refill_repeats: int = 0) -> Resource:
    """The draft resource with the form's values written into it.

    A refill's refills left at the clinic policy (`refill_repeats`) stay as drafted: approval applies the
    policy, and the patient is not told the care team adjusted something it did not.
    """
    edited = copy.deepcopy(resource)
    if isinstance(form, RefillForm):
        dispense = dict(edited.get("dispenseRequest") or {})
        dispense["quantity"] = {**(dispense.get("quantity") or {}), "value": form.quantity, "unit": form.unit}
        if form.days_supply:
            supply = {"value": form.days_supply, "unit": "days", "system": UCUM, "code": "d"}
            dispense["expectedSupplyDuration"] = supply
        if form.refills != refill_repeats:
            dispense["numberOfRepeatsAllowed"] = form.refills
        edited["dispenseRequest"] = dispense
    elif isinstance(form, VisitForm):
        edited.update(slot=[{"reference": form.slot}], start=form.start, end=form.end)
        if form.note.strip():
            edited["comment"] = form.note.strip()
        return edited
    elif isinstance(form, ReferralForm):
        edited["performerType"] = {"text": form.specialty}
        edited["code"] = {"text": f"Referral to {form.specialty}"}
    elif isinstance(form, LabOrderForm):
        edited["code"] = {"text": form.test}
    elif isinstance(form, ReadingForm):
        edited["valueQuantity"] = {
            **(edited.get("valueQuantity") or {}),
            "value": form.value,
            "unit": form.unit,
        }
    else:
        reason = dict(edited.get("cancelationReason") or {})
        edited["cancelationReason"] = {**reason, "text": form.reason}
    note = getattr(form, "note", "")
    if note.strip() and note.strip() != _note(resource):
        edited["note"] = [{"text": note.strip()}]
    return edited


def _note(resource: Resource) -> str:
    notes = resource.get("note") or []
    return str(notes[0].get("text") or "") if notes and isinstance(notes[0], dict) else ""
