"""The Edit & approve tab: a form of the values that matter per action kind; raw JSON under Advanced."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from pydantic import ValidationError

from carecoord.review.service import DecisionOutcome, ReviewService
from carecoord.review.views import ItemDetail
from carecoord.users import User
from tools.errors import FhirError
from ui.console.edits import InvalidInput, parse_edited, pretty
from ui.console.forms import (
    CancellationForm,
    EditForm,
    LabOrderForm,
    ReadingForm,
    ReferralForm,
    RefillForm,
    VisitForm,
    apply_form,
    form_for,
)
from ui.console.views.outcome import widget_key

Decide = Callable[[str, Callable[[], DecisionOutcome]], None]


def show_edit_form(service: ReviewService, detail: ItemDetail, user: User, decide: Decide) -> None:
    """The kind's form (submit: `form_submit-<id>`), then the JSON editor behind an expander."""
    draft = detail.draft
    if draft is None:
        return
    form = form_for(draft.kind, draft.resource, service.policy.refill_repeats)
    if form is not None:
        with st.form(f"form-{detail.id}"):
            values = _fields(service, detail, form)
            note = st.text_input("What you changed and why", key=widget_key("form_note", detail.id))
            if st.form_submit_button(
                "Approve with these values", type="primary", key=widget_key("form_submit", detail.id)
            ):
                try:
                    edited = apply_form(
                        draft.resource, type(form).model_validate(values), service.policy.refill_repeats
                    )
                except ValidationError as exc:
                    st.error(f"Check the values: {exc.errors()[0]['msg']}. Nothing was decided.")
                    return
                decide(
                    detail.id,
                    lambda: service.approve(detail.id, user.name, note=note.strip(), edited_resource=edited),
                )
    with st.expander("Advanced: edit the FHIR resource as JSON", expanded=form is None):
        _json_editor(service, detail, user, decide)


def _fields(service: ReviewService, detail: ItemDetail, form: EditForm) -> dict[str, object]:
    """Draw the inputs of `form`, prefilled; returns the values as typed."""
    key = detail.id
    if isinstance(form, RefillForm):
        return {
            "quantity": st.number_input(
                "Quantity", min_value=0.0, value=form.quantity, key=widget_key("f_qty", key)
            ),
            "unit": st.text_input("Unit", value=form.unit, key=widget_key("f_unit", key)),
            "days_supply": st.number_input(
                "Days' supply",
                min_value=1,
                value=form.days_supply,
                step=1,
                key=widget_key("f_days", key),
            ),
            "refills": st.number_input(
                "Refills",
                min_value=0,
                max_value=11,
                value=form.refills,
                step=1,
                key=widget_key("f_refills", key),
            ),
            "note": st.text_input("Note on the order", value=form.note, key=widget_key("f_note", key)),
        }
    if isinstance(form, VisitForm):
        try:
            choices = service.slot_choices(detail.id)
        except FhirError:
            choices = []
        labels = {
            s.reference: f"{s.start:%a %b %d %H:%M} · {s.practitioner or ''} {s.specialty or ''}"
            for s in choices
        }
        picked = st.selectbox(
            "Slot",
            options=list(labels) or [form.slot],
            format_func=lambda r: labels.get(r, r),
            key=widget_key("f_slot", key),
        )
        slot = next((s for s in choices if s.reference == picked), None)
        return {
            "slot": picked,
            "start": slot.start.isoformat() if slot else form.start,
            "end": slot.end.isoformat() if slot else form.end,
            "note": st.text_input("Comment", value=form.note, key=widget_key("f_note", key)),
        }
    if isinstance(form, ReferralForm):
        return {
            "specialty": st.text_input("Specialty", value=form.specialty, key=widget_key("f_specialty", key)),
            "note": st.text_input("Note", value=form.note, key=widget_key("f_note", key)),
        }
    if isinstance(form, LabOrderForm):
        return {
            "test": st.text_input("Test", value=form.test, key=widget_key("f_test", key)),
            "note": st.text_input("Note", value=form.note, key=widget_key("f_note", key)),
        }
    if isinstance(form, ReadingForm):
        return {
            "value": st.number_input("Value", value=form.value, key=widget_key("f_value", key)),
            "unit": st.text_input("Unit", value=form.unit, key=widget_key("f_unit", key)),
        }
    assert isinstance(form, CancellationForm)
    return {"reason": st.text_input("Reason", value=form.reason, key=widget_key("f_reason", key))}


def _json_editor(service: ReviewService, detail: ItemDetail, user: User, decide: Decide) -> None:
    draft = detail.draft.resource if detail.draft else None
    with st.form(f"edit-{detail.id}"):
        text = st.text_area(
            "FHIR resource (JSON)", value=pretty(draft), height=320, key=widget_key("edit_json", detail.id)
        )
        note = st.text_input("What you changed and why", key=widget_key("edit_note", detail.id))
        if st.form_submit_button("Approve edited", type="primary", key=widget_key("edit_submit", detail.id)):
            try:
                edited = parse_edited(text, draft)
            except InvalidInput as exc:
                st.error(str(exc))
                return
            decide(
                detail.id,
                lambda: service.approve(
                    detail.id, user.name, note=note.strip(), edited_resource=edited.resource
                ),
            )
