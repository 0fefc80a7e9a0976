"""The item page's fallback when opened without an item: pick one of the open items."""

from __future__ import annotations

import streamlit as st

from carecoord.review.service import ReviewService
from ui.console.labels import level_text
from ui.console.queue_table import is_open, ordered
from ui.console.services import patient_name


def pick_item(service: ReviewService) -> None:
    """A select box of open items, most urgent first, and a button that opens the chosen one."""
    st.title("Review item")
    waiting = {item.id: item for item in ordered([i for i in service.queue.list() if is_open(i)])}
    if not waiting:
        st.info("No open items right now.")
        return
    choice = st.selectbox(
        "Open item",
        list(waiting),
        format_func=lambda i: (
            f"{level_text(waiting[i].level)} · {waiting[i].summary} · "
            f"{patient_name(waiting[i].patient)} · {i}"
        ),
        key="pick_item",
    )
    if st.button("Open", type="primary", key="pick_open"):
        st.query_params["item"] = choice
        st.rerun()
