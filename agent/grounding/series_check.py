"""Checks a sentence's derived numbers against the readings it cites, statistic by statistic.

Lexical coverage cannot tell "the highest was 88.2" from "the lowest was 88.2" when the cited text states
both, nor "going up" from "going down" ("up" and "down" are stop-words). So a sentence citing a derived
fact is read with `series_words.yaml`: the first number after "average" must be the readings' average
(recomputed here), after "highest" their highest, and a direction word must be their direction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import yaml

from tools.series import Summary, reading_of, shown, summarise

WORDS_PATH = Path(__file__).with_name("series_words.yaml")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
"""A number on its own, not a digit inside a name ("A1c", "SpO2")."""
PARENTHESES = re.compile(r"\([^)]*\)")
"""A name's gloss ("A1c (3-month average blood sugar)") is not a statistic of the readings."""


@lru_cache(maxsize=1)
def _words() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    data = yaml.safe_load(WORDS_PATH.read_text(encoding="utf-8"))
    return dict(data["statistics"]), dict(data["directions"])


def _statistic(summary: Summary, name: str) -> float:
    return {"average": summary.average, "lowest": summary.lowest, "highest": summary.highest}[name]


def _first_after(text: str, phrase: str) -> str | None:
    """The first number after the whole-word `phrase` in `text`; None when the phrase or number is absent."""
    found = re.search(rf"\b{re.escape(phrase)}\b", text)
    if found is None:
        return None
    number = NUMBER.search(text, found.end())
    return number.group() if number else None


def series_conflicts(sentence: str, components: Sequence[Mapping[str, object]]) -> tuple[str, ...]:
    """What the sentence gets wrong about the cited readings' statistics and direction (empty: nothing)."""
    summary = summarise(r for body in components if (r := reading_of(body)) is not None)
    if summary is None:
        return ()
    text = PARENTHESES.sub("", sentence.lower())
    statistics, directions = _words()
    problems: list[str] = []
    for name, phrases in statistics.items():
        expected = shown(_statistic(summary, name))
        for phrase in phrases:
            said = _first_after(text, phrase)
            if said is not None and shown(float(said)) != expected:
                problems.append(f"{phrase} {said}, the readings give {expected}")
    for direction, phrases in directions.items():
        if direction != summary.direction and any(re.search(rf"\b{re.escape(p)}\b", text) for p in phrases):
            problems.append(f"says {direction}, the readings are {summary.direction}")
    return tuple(problems)
