"""Claim / unclaim an item from its page: who is working on it, one button to take or release it."""

from __future__ import annotations

import streamlit as st

from carecoord.review.errors import ReviewError
from carecoord.review.service import ReviewService
from carecoord.review.views import ItemDetail
from carecoord.users import User


def show_claim(service: ReviewService, detail: ItemDetail, user: User) -> None:
    """`Claimed by …` and the button that fits: Claim, Unclaim, or nothing (someone else holds it)."""
    holder = detail.assignee
    left, right = st.columns([4, 1])
    if holder is None:
        left.caption("Nobody has claimed this item yet.")
        clicked = right.button(
            "Claim", key="claim", icon=":material/pan_tool:", help="Mark it as yours", shortcut="M"
        )
        action, verb = service.claim, "Claimed"
    elif holder == user.name:
        left.markdown(":blue-badge[Claimed by you]")
        clicked = right.button(
            "Unclaim", key="unclaim", icon=":material/undo:", help="Release it", shortcut="U"
        )
        action, verb = service.unclaim, "Released"
    else:
        left.markdown(f":violet-badge[Claimed by {holder}]")
        return
    if clicked:
        try:
            action(detail.id, user.name)
        except ReviewError as exc:
            st.error(str(exc))
            return
        st.toast(f"{verb} {detail.id}")
        st.rerun()
