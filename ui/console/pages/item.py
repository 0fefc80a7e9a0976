"""Item page: what the patient said, what is proposed, the evidence, their board, then the conversation."""

from __future__ import annotations

import streamlit as st

from carecoord.review.errors import ItemNotFound
from ui.console.labels import kind_label, level_badge, status_badge
from ui.console.login import require_user
from ui.console.proposal import describe
from ui.console.queue_table import next_open_item, notification_text, shown_status
from ui.console.row_facts import patient_label, words_and_reason
from ui.console.services import review_service, written_resource
from ui.console.session import take_notice
from ui.console.timefmt import ago, due
from ui.console.views.board import show_board
from ui.console.views.claim import show_claim
from ui.console.views.decisions import show_decisions
from ui.console.views.evidence import show_evidence, show_verdict
from ui.console.views.outcome import show_outcome
from ui.console.views.picker import pick_item
from ui.console.views.transcript import show_transcript

user = require_user()
service = review_service()

item_id = st.query_params.get("item")
if not item_id:
    pick_item(service)
    st.stop()

try:
    detail = service.queue.detail(item_id)
except ItemNotFound:
    st.error(f"No review item {item_id!r}.")
    st.page_link("pages/queue.py", label="Back to the queue", icon=":material/arrow_back:")
    st.stop()

back, forward = st.columns([4, 1])
back.page_link("pages/queue.py", label="Back to the queue", icon=":material/arrow_back:")
following = next_open_item(service, detail.id)
if forward.button(
    "Next item", key="next_item", icon=":material/skip_next:", shortcut="J", disabled=following is None
):
    st.switch_page("pages/item.py", query_params={"item": following or detail.id})
st.title(f"{kind_label(detail.kind)} {level_badge(detail.level)}")
facts = [
    f"**{patient_label(detail.patient)}** (`{detail.patient}`)",
    f"filed {ago(detail.created)}",
    due(detail.due) if detail.allowed else "",
    status_badge(shown_status(detail)),
    f"on-call: {notification_text(detail)}" if detail.notification else "",
    ":red-badge[OVERDUE]" if detail.overdue else "",
    f"`{detail.id}`",
]
st.markdown(" · ".join(fact for fact in facts if fact))
show_claim(service, detail, user)

notice = take_notice(detail.id)
if notice is not None and notice.ok:
    st.success(notice.text)
elif notice is not None:
    st.error(notice.text)

words, reason = words_and_reason(detail.id)  # cached: the queue row already read them
st.subheader("The patient wrote")
with st.container(border=True, key="triggering_message"):
    if words:
        st.text(words)  # the patient's own text, never rendered as markdown
    else:
        st.caption("The message could not be read from the thread.")
    st.caption(reason)

written = written_resource(detail.fhir_reference)
if written is not None:
    st.subheader("Approved action, as written to the record")
    st.info(describe(written))
else:
    st.subheader("Proposed action" if detail.draft else "What the patient needs")
    with st.container(border=True):  # plain text: the summary can quote the patient
        st.text(describe(detail.draft.resource) if detail.draft else detail.summary)
if detail.draft is not None:
    with st.expander(f"FHIR {detail.draft.resource.get('resourceType', 'resource')} (draft JSON)"):
        st.json(detail.draft.resource)
with st.expander("Why the agent escalated (its trace for the turn)"):
    st.code(detail.rationale, language=None, wrap_lines=True)
if detail.allowed:
    show_decisions(service, detail, user)
else:
    show_outcome(detail, written)

st.subheader("Evidence")
show_verdict(detail.verdict)
show_evidence(detail.evidence)

st.subheader("Patient board")
st.page_link(
    "pages/board.py",
    label="Open the full board",
    icon=":material/monitoring:",
    query_params={"patient": detail.patient, "item": detail.id},
)
show_board(detail.patient, key=f"item_board_{detail.id}")

st.subheader("Conversation")
show_transcript(detail.lines)
