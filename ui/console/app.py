"""Entry point of the clinician console (`carecoord console` runs `streamlit run` on this file).

Navigation is only shown to a signed-in clinician; each page also refuses to draw anything before
sign-in (see `login.require_user`), so a deep link to a page lands on the sign-in form.
"""

from __future__ import annotations

import streamlit as st

from ui.console.session import current_user

st.set_page_config(page_title="CareCoord console", page_icon=":material/stethoscope:", layout="wide")

pages = [
    st.Page("pages/queue.py", title="Queue", icon=":material/inbox:", default=True),
    st.Page("pages/item.py", title="Item", icon=":material/assignment:"),
    st.Page("pages/board.py", title="Patient board", icon=":material/monitor_heart:"),
    st.Page("pages/audit.py", title="Audit", icon=":material/fact_check:"),
    st.Page("pages/metrics.py", title="Metrics", icon=":material/monitoring:"),
]
st.navigation(pages, position="sidebar" if current_user() else "hidden").run()
