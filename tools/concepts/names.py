"""How concept names are compared: one key form and one typo rule, shared by the resolver and the NLP layer."""

from __future__ import annotations

import re

from rapidfuzz.distance import OSA

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_MICRO = str.maketrans({"µ": "u", "μ": "u", "²": "2", "°": " "})


def key(text: str) -> str:
    """Lowercase words and digits only ("PT/INR" -> "pt inr", "K+" -> "k"): case and punctuation never decide."""
    return _NON_ALNUM.sub(" ", text.translate(_MICRO).lower()).strip()


def max_edits(length: int) -> int:
    """Typos tolerated in a word of `length` letters: none under 5 (abbreviations), 1 up to 11, then 2."""
    if length < 5:
        return 0
    return 1 if length < 12 else 2


def close(written: str, name: str) -> bool:
    """Whether `written` is `name` or a typo of it (insertions, deletions, swaps and transpositions)."""
    if written == name:
        return True
    allowed = max_edits(min(len(written), len(name)))
    if allowed == 0 or any(ch.isdigit() for ch in name):
        return False
    return OSA.distance(written, name, score_cutoff=allowed) <= allowed
