"""What a decision did: the outcome line after deciding, and the record of a decided item."""

from __future__ import annotations

from typing import Any

import streamlit as st

from carecoord.review.service import DecisionOutcome
from carecoord.review.views import ItemDetail
from ui.console.labels import status_badge
from ui.console.queue_table import shown_status
from ui.console.timefmt import stamp

SUBMIT_BUTTONS = (
    "approve_submit",
    "form_submit",
    "edit_submit",
    "reject_submit",
    "answer_submit",
    "acknowledge",
)
"""The buttons that send a decision."""


def widget_key(name: str, item_id: str) -> str:
    """A decision widget's key, per item, so a draft edited on one item never carries over to another."""
    return f"{name}-{item_id}"


def stale_submission(item_id: str) -> bool:
    """Whether this run was triggered by a decision button on a page drawn before the item was decided.

    The run that follows the click finds the item already decided and no longer draws the button, so
    the click would vanish silently; the clicked button's value is still in session state.
    """
    return any(st.session_state.get(widget_key(name, item_id)) is True for name in SUBMIT_BUTTONS)


def outcome_text(outcome: DecisionOutcome) -> str:
    """The outcome in one paragraph: status, who, when, what the patient sees, what was written."""
    status = "acknowledged" if outcome.status == "notified" else outcome.status
    parts = [f"{status.capitalize()} by {outcome.decided_by} at {stamp(outcome.decided_at)}."]
    if outcome.patient_message:
        parts.append(f"The patient sees: “{outcome.patient_message}”")
    if outcome.fhir_reference:
        parts.append(f"Written to the record as `{outcome.fhir_reference}`.")
    return " ".join(parts)


def show_outcome(detail: ItemDetail, written: dict[str, Any] | None = None) -> None:
    """What was decided, by whom, and what it did (note, reply, patient message, EHR write)."""
    who = detail.decided_by or detail.acknowledged_by or "—"
    if stale_submission(detail.id):
        st.error(f"Already decided by {who}; nothing was changed.")
    when = detail.decided_at or detail.acknowledged_at
    lines = [f"**Decision:** {status_badge(shown_status(detail))} by {who} at {stamp(when)}"]
    if detail.fhir_reference:
        lines.append(f"**Written to the record as** `{detail.fhir_reference}`")
    if detail.status in ("approved", "rejected", "answered") and not detail.completed_at:
        lines.append(":orange-badge[still finishing] the EHR write or the patient message is not done yet.")
    st.markdown("  \n".join(lines))
    # Free text (it can quote the patient) is drawn as plain text, never as markdown.
    for label, text in (
        ("Note", detail.note),
        ("Answer sent", detail.reply),
        ("The patient sees", detail.patient_message),
    ):
        if text:
            st.markdown(f"**{label}:**")
            st.text(text)
    if written is not None:
        with st.expander(f"FHIR {detail.fhir_reference} as written to the record"):
            st.json(written)
    elif detail.final_resource is not None:
        with st.expander("FHIR resource as approved"):
            st.json(detail.final_resource)
