"""The signed-in clinician of this browser session, typed, plus the notice a decision leaves behind.

Every page calls `login.require_user()` first: without a signed-in user it draws the sign-in form and
stops the script, so no page can show queue data before login.

A sign-in also issues a signed session (`ui.console.session_cookie`) that the browser keeps as an
HttpOnly cookie, so a refreshed page (a new Streamlit session) finds its user again; sign-out revokes the
session id in the shared database and clears the cookie.
"""

from __future__ import annotations

import getpass
import time
from dataclasses import dataclass

import streamlit as st

from carecoord.users import User
from ui.console.cookie_routes import END_PATH, SESSION_PATH
from ui.console.services import services, session_signer
from ui.console.session_cookie import COOKIE, HANDOFFS

_USER = "console.user"
_SID = "console.sid"
_EXPIRES = "console.expires"
_HANDOFF = "console.cookie_handoff"
_CLEAR = "console.cookie_clear"
_NOTICE = "console.notice"


@dataclass(frozen=True)
class Notice:
    """What the last decision on an item did (shown once the item page reruns)."""

    item_id: str
    ok: bool
    text: str


def current_user() -> User | None:
    """The clinician signed in to this session, if any, or the one a valid session cookie names."""
    value = st.session_state.get(_USER)
    if isinstance(value, User):
        expires = st.session_state.get(_EXPIRES)
        if not isinstance(expires, int) or time.time() < expires:
            return value
        sign_out()  # the signed session's hours are over, even though this page stayed open
        return None
    return _from_cookie()


def _from_cookie() -> User | None:
    """The user of an authentic, unexpired, unrevoked session cookie who is still active."""
    cookie = st.context.cookies.get(COOKIE)
    if not cookie:
        return None
    claims = session_signer().verify(cookie)
    if claims is None:
        return None
    opened = services()
    if opened.revocations.is_revoked(claims.sid):
        return None
    user = opened.users.get(claims.user)
    if user is None:
        return None
    _remember(user, claims.sid, claims.expires)
    return user


def sign_in(user: User) -> None:
    """Remember `user` for this browser session and hand the browser its session cookie."""
    value, claims = session_signer().sign(user.name)
    _remember(user, claims.sid, claims.expires)
    st.session_state[_HANDOFF] = HANDOFFS.put(value, max(1, claims.expires - int(time.time())))


def _remember(user: User, sid: str, expires: int) -> None:
    st.session_state[_USER] = user
    st.session_state[_SID] = sid
    st.session_state[_EXPIRES] = expires


def sign_out() -> None:
    """Revoke the session (audited), forget the user and anything shown on their behalf, clear the cookie."""
    user = st.session_state.get(_USER)
    sid = st.session_state.get(_SID)
    if isinstance(sid, str) and sid:
        who = user.name if isinstance(user, User) else f"console:{getpass.getuser()}"
        services().revocations.revoke(sid, who, "console sign-out", kind="console_session")
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[_CLEAR] = True


def sync_cookie() -> None:
    """Have the browser collect a new session cookie, or clear the old one, once.

    The page posts to the console's own route (same origin); only a one-time nonce is in the page.
    """
    nonce = st.session_state.pop(_HANDOFF, None)
    clear = st.session_state.pop(_CLEAR, False)
    base = _base_path()
    if isinstance(nonce, str):
        _post(f"{base}{SESSION_PATH}", nonce)
    elif clear:
        _post(f"{base}{END_PATH}", "")


def _base_path() -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _post(path: str, body: str) -> None:
    # `path` and `body` are ours (a route constant and a URL-safe nonce), never user input.
    script = (
        f"<script>fetch({path!r}, {{method: 'POST', credentials: 'same-origin', "
        f"headers: {{'Content-Type': 'text/plain'}}, body: {body!r}}});</script>"
    )
    st.html(script, unsafe_allow_javascript=True)


def leave_notice(notice: Notice) -> None:
    """Keep a decision's outcome for the next run of the item page."""
    st.session_state[_NOTICE] = notice


def take_notice(item_id: str) -> Notice | None:
    """The pending notice for `item_id`, removed once taken."""
    notice = st.session_state.get(_NOTICE)
    if isinstance(notice, Notice) and notice.item_id == item_id:
        del st.session_state[_NOTICE]
        return notice
    return None
