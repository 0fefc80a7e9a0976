"""Numbers and doses: "500 mg" == "500mg" == "500 milligrams" == "0.5 g"; "1,000" == "1000".

A number directly followed by a unit becomes a quantity atom keyed by its value in the unit's base
("50 mcg" and "0.05 mg" are both "0.05 mg"); any other number is a bare number atom. The units and
their spellings are data (`units.yaml`). Numbers glued to letters on their left ("A1c", "B12") are
part of a name, not a number. In a range or list
("1-2 tablets", "5, 10 or 20 mg", "130/80 mmHg") the unit after the last number applies to all.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import yaml

from agent.grounding.atom import Atom, Found, decimal_key

UNITS_PATH = Path(__file__).with_name("units.yaml")


def _unit_key(written: str) -> str:
    """How a unit is looked up: case-folded (µ and μ fold alike), runs of whitespace as one space."""
    return " ".join(written.casefold().split())


def _load_units(path: Path) -> dict[str, tuple[str, Decimal]]:
    """Alias (as `_unit_key` writes it) -> (the unit amounts are compared in, factor into that unit)."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of units")
    table: dict[str, tuple[str, Decimal]] = {}
    for entry in entries:
        unit, factor = str(entry["unit"]), Decimal(str(entry.get("factor", 1)))
        for alias in entry["aliases"]:
            key = _unit_key(str(alias))
            if table.setdefault(key, (unit, factor)) != (unit, factor):
                raise ValueError(f"{path}: {alias!r} is listed for two units")
    return table


_ALIAS = _load_units(UNITS_PATH)
_WORD_NUMBERS = {
    w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())
}
_UNIT_RE = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in sorted(_ALIAS, key=len, reverse=True))
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUMBER = re.compile(
    rf"(?<![A-Za-z0-9.,])(?:(?P<digits>{_DIGITS})(?![\d,]\d)|(?P<word>{'|'.join(_WORD_NUMBERS)})\b(?=[\s-]+(?:{_UNIT_RE})))"
    rf"(?:[\s-]?(?P<unit>{_UNIT_RE})(?![A-Za-z])|(?P<ordinal>st|nd|rd|th)\b|(?P<glued>[A-Za-z]))?",
    re.IGNORECASE,
)
_RANGE_JOINER = re.compile(r"^\s*(?:-|–|—|/|to|or|and|,|, or|, and)\s*$", re.IGNORECASE)


def find_quantities(text: str) -> list[Found]:
    """Bare numbers and quantities in `text` (dates and times should already be masked out)."""
    raw: list[tuple[Decimal, str | None, int, int]] = []  # value, unit alias, span
    for match in _NUMBER.finditer(text):
        if match.group("glued"):
            continue  # "1.73m2", "2nd-line" are tokens, not measurements
        if match.group("digits"):
            value = Decimal(match.group("digits").replace(",", ""))
        else:
            value = Decimal(_WORD_NUMBERS[match.group("word").lower()])
        unit = match.group("unit")
        key = _unit_key(unit) if unit else None
        if key is not None and key not in _ALIAS:
            # Case-insensitive matching can accept a spelling the table does not list (a Unicode
            # case variant): the number still counts, as a bare number, rather than failing the item.
            key = None
        raw.append((value, key, match.start(), match.end()))
    # A unit after the last number of a range or list applies to the numbers before it.
    for i in range(len(raw) - 2, -1, -1):
        value, unit, start, end = raw[i]
        following = raw[i + 1]
        if unit is None and following[1] is not None and _RANGE_JOINER.match(text[end : following[2]]):
            raw[i] = (value, following[1], start, end)
    return [_found(text, value, unit, start, end) for value, unit, start, end in raw]


def _found(text: str, value: Decimal, unit: str | None, start: int, end: int) -> Found:
    written = text[start:end].strip()
    if unit is not None and not re.search(r"[^\d.,\s]", written):
        written = f"{written} {unit}"  # the first number of a range: show the unit it borrowed
    if unit is None:
        return Found(Atom("number", decimal_key(value), written), start, end)
    canonical, factor = _ALIAS[unit]
    return Found(Atom("quantity", f"{decimal_key(value * factor)} {canonical}", written), start, end)


def raw_number_key(atom: Atom) -> str | None:
    """The number a quantity was written with, before unit conversion (its value in `text`)."""
    match = _NUMBER.search(atom.text)
    if match is None:
        return None
    if match.group("word"):
        return str(_WORD_NUMBERS[match.group("word").lower()])
    return decimal_key(Decimal(match.group("digits").replace(",", "")))


def word_number_keys(text: str) -> set[str]:
    """Numbers from two to twelve spelled as words anywhere in `text` ("two weeks" backs a "2")."""
    words = re.findall(r"[a-z]+", text.lower())
    return {str(_WORD_NUMBERS[w]) for w in words if _WORD_NUMBERS.get(w, 0) >= 2}  # "one" is a pronoun too
