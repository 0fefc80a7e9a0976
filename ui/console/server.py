"""The console's ASGI app: Streamlit's pages (`app.py`) plus the session-cookie routes.

`carecoord console` runs `streamlit run` on this file; Streamlit finds `app` (an `st.App`) and serves it
with its own uvicorn, so the cookie routes share the process, and the handoffs, with the page scripts.
"""

from __future__ import annotations

import streamlit as st

from ui.console.cookie_routes import routes

app = st.App("app.py", routes=routes)
