"""Audit page: who did what and when, and whether the hash chain still holds."""

from __future__ import annotations

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment
import streamlit as st

from ui.console.login import require_user
from ui.console.services import review_service
from ui.console.timefmt import stamp

ALL = "all"

require_user()
audit = review_service().audit
st.title("Audit log")

chain = audit.verify()
if chain.ok:
    st.success(f"Hash chain intact: {chain.checked} entries checked.")
else:
    st.error(f"Hash chain broken at entry {chain.first_broken}: {chain.message} ({chain.checked} checked).")

recent_actions = sorted({entry.action for entry in audit.entries(limit=2000)})
filters = st.columns([2, 2, 1])
actor = filters[0].text_input("Actor", key="audit_actor", placeholder="user name or agent").strip()
action = filters[1].selectbox("Action", [ALL, *recent_actions], key="audit_action")
limit = int(
    filters[2].number_input("Rows", min_value=10, max_value=5000, value=500, step=50, key="audit_limit")
)

entries = audit.entries(actor=actor or None, action=None if action == ALL else action, limit=limit)
if not entries:
    st.info("No audit entries match.")
    st.stop()
st.dataframe(
    pd.DataFrame(
        [
            {
                "#": entry.seq,
                "When": stamp(entry.time),
                "Actor": entry.actor,
                "Action": entry.action,
                "About": ", ".join(entry.subjects),
                "Reasoner": entry.reasoner,
                "Hash": entry.hash[:12],
            }
            for entry in entries
        ]
    ),
    hide_index=True,
)
st.caption(f"Newest first · {len(entries)} shown")
