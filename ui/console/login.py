"""The sign-in form and the gate every page passes; every attempt, good or bad, goes to the audit log."""

from __future__ import annotations

import streamlit as st

from carecoord.sign_in import SignInRefused
from carecoord.users import User
from ui.console.services import services
from ui.console.session import current_user, sign_in, sign_out, sync_cookie


def login_form() -> None:
    """Draw the form; on success remember the user and rerun the page they asked for."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(":material/stethoscope: CareCoord clinician console")
        st.caption("Sign in to review escalations. Every sign-in attempt is recorded in the audit log.")
        with st.form("login", clear_on_submit=False):
            name = st.text_input("User name", key="login_name")
            password = st.text_input("Password", type="password", key="login_password")
            code = st.text_input("Authenticator code (if enrolled)", key="login_code", max_chars=8)
            submitted = st.form_submit_button("Sign in", type="primary")
        if not submitted:
            return
        try:
            user = services().sign_in(name.strip(), password, code.strip() or None, _client())
        except SignInRefused as exc:
            st.error(str(exc))
            return
    sign_in(user)
    st.rerun()


def _client() -> str:
    """The browser's address as the server sees it (the per-address sign-in throttle counts it)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "unknown"


def require_user() -> User:
    """The signed-in user (shown in the sidebar with a sign-out button); otherwise the sign-in form.

    Without a user this draws the form and stops the run, so nothing after the call can show data.
    """
    user = current_user()
    sync_cookie()
    if user is None:
        login_form()
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as **{user.shown_as}** ({user.name}, {user.role})")
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            sign_out()
            st.rerun()
    return user
