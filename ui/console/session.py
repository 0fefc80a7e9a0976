"""The signed-in clinician of this browser session, typed, plus the notice a decision leaves behind.

Every page calls `login.require_user()` first: without a signed-in user it draws the sign-in form and
stops the script, so no page can show queue data before login.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from carecoord.users import User

_USER = "console.user"
_NOTICE = "console.notice"


@dataclass(frozen=True)
class Notice:
    """What the last decision on an item did (shown once the item page reruns)."""

    item_id: str
    ok: bool
    text: str


def current_user() -> User | None:
    """The clinician signed in to this session, if any."""
    value = st.session_state.get(_USER)
    return value if isinstance(value, User) else None


def sign_in(user: User) -> None:
    """Remember `user` for this browser session."""
    st.session_state[_USER] = user


def sign_out() -> None:
    """Forget the user and anything shown on their behalf."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


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
