"""Patient board page: find a patient by name, or arrive from an item, and see their chart at a glance."""

from __future__ import annotations

import streamlit as st

from ui.console.board.source import find_patients
from ui.console.login import require_user
from ui.console.views.board import show_board

require_user()
patient_id = st.query_params.get("patient")
if not patient_id:
    st.title("Patient board")
    text = st.text_input("Find a patient by name", key="board_search", placeholder="e.g. Garcia")
    for found_id, name, born in find_patients(text):
        st.page_link(
            "pages/board.py", label=f"{name} · born {born or 'unknown'}", query_params={"patient": found_id}
        )
    if text and not find_patients(text):
        st.info("No patient with that name.")
    st.stop()

item_id = st.query_params.get("item")
if item_id:
    st.page_link(
        "pages/item.py",
        label="Back to the item",
        icon=":material/arrow_back:",
        query_params={"item": item_id},
    )
else:
    st.page_link("pages/board.py", label="Find another patient", icon=":material/search:")
st.title("Patient board")
show_board(patient_id)
