"""The patient's own words that filed an item, found in the thread by the item's question hash."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from agent.transcript import TranscriptLine

SHOWN_CHARS = 140
"""How much of the message a queue row shows."""


def triggering_words(lines: Sequence[TranscriptLine], question_hash: str) -> str | None:
    """The patient line whose SHA-256 is `question_hash`; the last patient line when none matches."""
    said = [line.text for line in lines if line.speaker == "patient"]
    for text in said:
        if hashlib.sha256(text.encode()).hexdigest() == question_hash:
            return text
    return said[-1] if said else None


def first_chars(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:") + "…"
