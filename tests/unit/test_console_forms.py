"""The Edit & approve form of each action kind: prefilled from the draft, applied back as valid FHIR."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from tests.unit.test_console_proposal import METFORMIN, PATIENT
from tests.unit.test_draft_kinds import BOOKED, SLOT
from tools import parse
from tools.drafts import booking_draft, referral_draft, refill_draft
from tools.drafts_orders import lab_order_draft, reading_draft
from tools.drafts_visits import cancellation_draft
from ui.console.forms import (
    CancellationForm,
    LabOrderForm,
    ReadingForm,
    ReferralForm,
    RefillForm,
    VisitForm,
    apply_form,
    form_for,
)


def _valid(resource: dict[str, Any]) -> dict[str, Any]:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def test_refill_form_is_prefilled_with_clinic_policy_and_writes_the_dispense() -> None:
    draft = refill_draft(PATIENT, parse.medication(METFORMIN), "k1")
    form = form_for("refill", draft.resource, refill_repeats=3)
    assert form == RefillForm(quantity=60.0, unit="tablet", days_supply=None, refills=3, note=form.note)

    assert apply_form(draft.resource, form, refill_repeats=3) == draft.resource, "unchanged: no edit"

    edited = _valid(
        apply_form(draft.resource, form.model_copy(update={"quantity": 30.0, "days_supply": 15}), 3)
    )

    dispense = edited["dispenseRequest"]
    assert dispense["quantity"] == {"value": 30.0, "unit": "tablet"}
    assert dispense["expectedSupplyDuration"]["value"] == 15
    assert dispense["numberOfRepeatsAllowed"] == 1, "left at policy: approval applies it"
    fewer = apply_form(draft.resource, form.model_copy(update={"refills": 0}), 3)
    assert fewer["dispenseRequest"]["numberOfRepeatsAllowed"] == 0
    assert draft.resource["dispenseRequest"]["quantity"]["value"] == 60.0, "the draft itself is untouched"
    with pytest.raises(ValidationError):
        RefillForm(quantity=0, unit="tablet", refills=1)
    with pytest.raises(ValidationError):
        RefillForm(quantity=30, unit="tablet", refills=12)


def test_visit_form_moves_the_booking_to_the_picked_slot() -> None:
    draft = booking_draft(PATIENT, SLOT, "check-up", "k1")
    form = form_for("booking", draft.resource, 0)
    assert isinstance(form, VisitForm) and form.slot == "Slot/s-new"
    picked = VisitForm(
        slot="Slot/s-2", start="2026-12-04T09:00:00+00:00", end="2026-12-04T09:30:00+00:00", note="bring meds"
    )

    edited = _valid(apply_form(draft.resource, picked))

    assert edited["slot"] == [{"reference": "Slot/s-2"}] and edited["start"].startswith("2026-12-04T09:00")
    assert edited["comment"] == "bring meds" and edited["participant"] == draft.resource["participant"]


def test_referral_lab_reading_and_cancellation_forms() -> None:
    referral = referral_draft(PATIENT, "dermatology", "mole", "k1")
    assert form_for("referral", referral.resource, 0) == ReferralForm(specialty="dermatology")
    edited = _valid(
        apply_form(referral.resource, ReferralForm(specialty="plastic surgery", note="urgent-ish"))
    )
    assert edited["performerType"] == {"text": "plastic surgery"} and edited["note"] == [
        {"text": "urgent-ish"}
    ]

    lab = lab_order_draft(PATIENT, "HbA1c", "", "k1")
    assert form_for("lab_order", lab.resource, 0) == LabOrderForm(test="HbA1c")
    assert _valid(apply_form(lab.resource, LabOrderForm(test="Lipid panel")))["code"] == {
        "text": "Lipid panel"
    }

    taken = datetime(2026, 12, 1, 8, tzinfo=UTC)
    reading = reading_draft(PATIENT, "Body weight", "29463-7", 81.5, "kg", taken, "k1")
    assert form_for("reading", reading.resource, 0) == ReadingForm(value=81.5, unit="kg")
    fixed = _valid(apply_form(reading.resource, ReadingForm(value=80.5, unit="kg")))
    assert fixed["valueQuantity"] == {"value": 80.5, "unit": "kg"}

    cancel = cancellation_draft(PATIENT, parse.appointment(BOOKED), "away", "k1")
    assert form_for("cancellation", cancel.resource, 0) == CancellationForm(reason="away")
    moved = _valid(apply_form(cancel.resource, CancellationForm(reason="travelling")))
    assert moved["cancelationReason"]["text"] == "travelling"
    assert moved["cancelationReason"]["coding"][0]["code"] == "pat"


def test_a_message_has_no_form_only_json() -> None:
    assert form_for("message", {"resourceType": "Communication"}, 0) is None
