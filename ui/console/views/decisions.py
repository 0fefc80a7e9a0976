"""The decision controls of an item: approve, edit & approve, reject, answer, acknowledge.

Input is checked here before the service is called (a rejection needs a reason, an answer needs
text, an edited resource must be JSON of the same type); what the service answers — the outcome, or
"already decided by X" — is left as a notice and shown after the page reloads with fresh data.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import streamlit as st

from carecoord.review.errors import AlreadyDecided, NotAllowed, ReviewError
from carecoord.review.service import DecisionOutcome, ReviewService
from carecoord.review.views import ItemDetail
from carecoord.users import User
from ui.console.edits import InvalidInput, required_text
from ui.console.session import Notice, leave_notice
from ui.console.views.edit_form import show_edit_form
from ui.console.views.outcome import outcome_text, widget_key

_DECISIONS = threading.Lock()
APPROVE_KEY = "Shift+A"
REJECT_KEY = "Shift+X"
"""With a modifier: a stray key press must not approve a medication."""
SHORTCUTS = f"Keys: **J** next item · **M** claim · **U** unclaim · **{APPROVE_KEY}** approve · **{REJECT_KEY}** reject"


def decide(item_id: str, action: Callable[[], DecisionOutcome]) -> None:
    """Run one decision and reload the page with its outcome or the service's refusal.

    Decisions from all browser sessions of this server go one at a time: the shared service opens
    the agent it resumes threads with on first use, and a decision is rare next to page reads.
    """
    try:
        with st.spinner("Writing to the EHR and telling the patient…"), _DECISIONS:
            notice = Notice(item_id, True, outcome_text(action()))
    except AlreadyDecided as exc:
        notice = Notice(item_id, False, f"Already decided by {exc.decided_by}; nothing was changed.")
    except NotAllowed as exc:
        notice = Notice(item_id, False, f"Not allowed: {exc}")
    except ReviewError as exc:
        notice = Notice(item_id, False, f"The decision could not be recorded: {exc}")
    leave_notice(notice)
    st.rerun()


def show_decisions(service: ReviewService, detail: ItemDetail, user: User) -> None:
    """The controls for the decisions this item allows now (the service says which)."""
    if not user.can_decide:
        st.info(f"Your role ({user.role}) may read the queue but not decide items.")
        return
    if "acknowledge" in detail.allowed:
        _acknowledge(service, detail, user)
    tabs: list[tuple[str, Callable[[ReviewService, ItemDetail, User], None]]] = []
    if "approve" in detail.allowed:
        tabs.append(("Approve", _approve))
        if detail.draft is not None:
            tabs.append(("Edit & approve", _edit_and_approve))
    if "answer" in detail.allowed:
        tabs.append(("Answer", _answer))
    if "reject" in detail.allowed:
        tabs.append(("Reject", _reject))
    if not tabs:
        return
    for container, (_, draw) in zip(st.tabs([label for label, _ in tabs]), tabs, strict=True):
        with container:
            draw(service, detail, user)
    st.caption(SHORTCUTS)


def _approve(service: ReviewService, detail: ItemDetail, user: User) -> None:
    with st.form(f"approve-{detail.id}"):
        note = st.text_input("Note to the chart (optional)", key=widget_key("approve_note", detail.id))
        if st.form_submit_button(
            "Approve", type="primary", key=widget_key("approve_submit", detail.id), shortcut=APPROVE_KEY
        ):
            decide(detail.id, lambda: service.approve(detail.id, user.name, note=note.strip()))


def _edit_and_approve(service: ReviewService, detail: ItemDetail, user: User) -> None:
    show_edit_form(service, detail, user, decide)


def _reject(service: ReviewService, detail: ItemDetail, user: User) -> None:
    with st.form(f"reject-{detail.id}"):
        reason = st.text_area("Reason (the patient is told it)", key=widget_key("reject_reason", detail.id))
        if st.form_submit_button("Reject", key=widget_key("reject_submit", detail.id), shortcut=REJECT_KEY):
            try:
                text = required_text(reason, "A reason")
            except InvalidInput as exc:
                st.error(f"{exc} Nothing was decided.")
                return
            decide(detail.id, lambda: service.reject(detail.id, user.name, text))


def _answer(service: ReviewService, detail: ItemDetail, user: User) -> None:
    with st.form(f"answer-{detail.id}"):
        reply = st.text_area("Answer to the patient", key=widget_key("answer_text", detail.id))
        if st.form_submit_button("Send answer", type="primary", key=widget_key("answer_submit", detail.id)):
            try:
                text = required_text(reply, "An answer")
            except InvalidInput as exc:
                st.error(f"{exc} Nothing was sent.")
                return
            decide(detail.id, lambda: service.answer(detail.id, user.name, text))


def _acknowledge(service: ReviewService, detail: ItemDetail, user: User) -> None:
    st.error("Emergency: the patient was told to call emergency services. Acknowledge that you have seen it.")
    if st.button("Acknowledge", type="primary", key=widget_key("acknowledge", detail.id)):
        decide(detail.id, lambda: service.acknowledge(detail.id, user.name))
