"""Queue page: open escalations, most urgent and oldest first, refreshing on its own.

Each row: level, how long it has waited against its SLA, the patient (name, age), their own words, the
reason in plain language, status and who has claimed it. Filters: whose (mine, unassigned), level, kind.
"""

from __future__ import annotations

import streamlit as st

from ui.console.labels import KIND_LABEL, LEVEL_ORDER, STATUS_COLOUR
from ui.console.login import require_user
from ui.console.queue_table import COLUMNS, is_open, ordered, styled, table
from ui.console.row_facts import row_facts
from ui.console.services import review_service

REFRESH_S = 15  # seconds between reloads of the table while the page is open
ALL = "all"
OPEN = "open (waiting for a clinician)"
WHOSE = {"everyone": "Everyone's", "mine": "Mine", "unassigned": "Unassigned"}
ROW_PX = 35

# The queue uses the page's full width (Streamlit pads it by 5 rem a side), so it fits 1280 px with the sidebar.
WIDE = "<style>[data-testid=stMainBlockContainer] { padding-left: 1.5rem; padding-right: 1.5rem; }</style>"

user = require_user()
st.html(WIDE)
st.title("Review queue")

filters = st.columns([2, 1, 1, 2])
whose = (
    filters[0].segmented_control(
        "Whose", list(WHOSE), format_func=WHOSE.__getitem__, default="everyone", key="queue_whose"
    )
    or "everyone"
)
level = filters[1].selectbox("Level", [ALL, *LEVEL_ORDER], key="queue_level")
kind = filters[2].selectbox(
    "Kind", [ALL, *KIND_LABEL], format_func=lambda k: KIND_LABEL.get(k, k), key="queue_kind"
)
status = filters[3].selectbox(
    "Status", [OPEN, ALL, *(s for s in STATUS_COLOUR if s != "acknowledged")], key="queue_status"
)


SHOWN_IDS = "queue_shown_ids"
"""Session key: the item ids in the order the table last drew them (a selection is an index into them)."""


def open_selected_row() -> None:
    """Open the item whose row was clicked, as it was drawn (not as the queue reads now).

    Done before the queue is read again: the click opens the item without a second read of the
    queue, and a row that moved since the table was drawn still opens the item the clinician saw.
    """
    selected = st.session_state.get("queue_table")
    shown = st.session_state.get(SHOWN_IDS, [])
    rows = selected["selection"]["rows"] if selected else []
    if rows and rows[0] < len(shown):
        st.switch_page("pages/item.py", query_params={"item": shown[rows[0]]})


@st.fragment(run_every=REFRESH_S)
def live_queue() -> None:
    """Load and draw the queue; reruns every `REFRESH_S` seconds without reloading the page."""
    open_selected_row()
    items = review_service().queue.list(
        status=None if status in (ALL, OPEN) else status,
        level=None if level == ALL else level,
        kind=None if kind == ALL else kind,
    )
    if status == OPEN:
        items = [item for item in items if is_open(item)]
    if whose == "mine":
        items = [item for item in items if item.assignee == user.name]
    elif whose == "unassigned":
        items = [item for item in items if item.assignee is None]
    items = ordered(items)
    counts = st.columns(4)
    counts[0].metric("Shown", len(items))
    counts[1].metric("Overdue", sum(1 for item in items if item.overdue))
    counts[2].metric("Emergent", sum(1 for item in items if item.level == "emergent"))
    counts[3].metric("Unassigned", sum(1 for item in items if item.assignee is None))
    if not items:
        st.info("Nothing here. The queue reloads on its own.")
        return
    st.session_state[SHOWN_IDS] = [item.id for item in items]
    st.dataframe(
        styled(table(items, facts=row_facts)),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="queue_table",
        height=min(ROW_PX * (len(items) + 1) + 3, 24 * ROW_PX),
        width="stretch",
        column_order=[c for c in COLUMNS if c != "Id"],  # the id stays in the data; the item page shows it
        column_config={
            "Level": st.column_config.TextColumn(width=65),
            "Waiting": st.column_config.TextColumn(width=100, help="Time waiting of the level's SLA"),
            "Patient": st.column_config.TextColumn(width=130),
            "Patient's words": st.column_config.TextColumn(
                width=195, help="Their message (first 140 characters)"
            ),
            "Reason": st.column_config.TextColumn(width=170),
            "Status": st.column_config.TextColumn(width=75),
            "Notified": st.column_config.TextColumn(width=75),
            "Assignee": st.column_config.TextColumn(width=75),
        },
    )
    st.caption(f"Select a row to open it · reloads every {REFRESH_S} s")


live_queue()
