"""Text normalisation shared by the screen and the classifiers: match what patients type, typos and all."""

from __future__ import annotations

import re
from functools import lru_cache

_APOSTROPHES = re.compile(r"[’'`]")
_NON_WORD = re.compile(r"[^a-z0-9/.%\s-]+")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lowercase, drop apostrophes ("can't" → "cant"), turn punctuation into spaces, collapse spaces."""
    lowered = _APOSTROPHES.sub("", text.lower())
    return _SPACES.sub(" ", _NON_WORD.sub(" ", lowered)).strip()


def phrase_pattern(phrase: str) -> str:
    """Regex for a policy phrase: whole words, where `*` stands for up to two words ("coughing up * blood")."""
    parts = [re.escape(normalise(part)) for part in phrase.split("*") if normalise(part)]
    return r"(?<![a-z0-9])" + r"\s+(?:[a-z0-9]+\s+){0,2}".join(parts) + r"(?![a-z0-9])"


def contains_phrase(normalised_text: str, phrase: str) -> bool:
    """Whole-word containment, so "stroke" does not fire inside "strokes of luck" partially."""
    pattern = _compiled(phrase)
    return pattern is not None and pattern.search(normalised_text) is not None


@lru_cache(maxsize=8192)
def _compiled(phrase: str) -> re.Pattern[str] | None:
    """Each phrase compiled once per process: `re`'s own cache holds 512, fewer than the policy's phrases."""
    if not normalise(phrase.replace("*", "")):
        return None
    return re.compile(phrase_pattern(phrase))


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences on terminal punctuation, keeping decimals like "7.5" intact."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])", text.strip())
    return [p.strip() for p in parts if p.strip()]
