"""The patient-visible conversation, as chat bubbles.

Patient text is drawn with `st.text`, never as markdown or HTML: a message holding
`![x](http://host/beacon.png)` or a link must show as those characters, not fetch or link anything.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from agent.transcript import Speaker, TranscriptLine

SPEAKERS: dict[Speaker, tuple[str, str]] = {
    "patient": ("user", "Patient"),
    "assistant": ("assistant", "CareCoord"),
    "care_team": (":material/stethoscope:", "Care team"),
}
"""Speaker → (chat avatar, name shown)."""


def bubble(line: TranscriptLine) -> tuple[str, str, str]:
    """(avatar, name shown, text) of one line."""
    avatar, name = SPEAKERS[line.speaker]
    return avatar, name, line.text


def show_transcript(lines: Sequence[TranscriptLine]) -> None:
    """Draw the conversation, oldest first."""
    if not lines:
        st.caption("No conversation was stored with this item.")
        return
    for line in lines:
        avatar, name, text = bubble(line)
        with st.chat_message(name, avatar=avatar):
            st.markdown(f"**{name}**")
            st.text(text)
