"""Facts the verifier derives itself from cited resources, to check derived claims against.

An age is not written in the Patient resource; the verifier recomputes it from `birthDate` on the
clinic's clock, so "You are 47 years old" passes only when 47 is what the birth date gives today. An average, a
lowest or highest value and a trend are recomputed from the readings a derived fact was computed from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from tools.ages import age_on
from tools.concepts.units import shown_unit
from tools.series import reading_of, shown, summarise


def derived_text(resource: Mapping[str, object], today: date) -> str:
    """Lines the verifier may check a sentence against, recomputed from `resource` ('' when none)."""
    if resource.get("resourceType") != "Patient" or not isinstance(resource.get("birthDate"), str):
        return ""
    try:
        born = date.fromisoformat(str(resource["birthDate"]))
    except ValueError:
        return ""
    shown = f"{born:%B} {born.day}, {born.year}"
    age = age_on(born, today)
    return (
        f"Your record gives your date of birth as {shown}. "
        f"On {today.isoformat()} you are {age} years old, going by the date of birth in your record."
    )


def _day(value: datetime) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def series_text(components: Sequence[Mapping[str, object]]) -> str:
    """What the readings a derived sentence cites say together, recomputed here ('' when no numbers).

    Average, lowest, highest, count, first and last value and the change between them, so a sentence
    stating any of them passes only when its numbers are the ones these readings give. The first and last
    values are readings, written as recorded (0.94, not 0.9); the statistics are rounded as answers show them.
    """
    summary = summarise(r for body in components if (r := reading_of(body)) is not None)
    if summary is None:
        return ""
    unit, n = _spaced(shown_unit(summary.unit)), summary.count
    first, last = summary.first, summary.last
    span = (
        f"{n} results from {_day(first.taken)} to {_day(last.taken)}"
        if n > 1
        else (f"1 result, on {_day(last.taken)}")
    )
    return (
        f"Over {span} the results averaged {shown(summary.average)}{unit}. "
        f"Among them the lowest result was {shown(summary.lowest)}{unit} and the highest result was "
        f"{shown(summary.highest)}{unit}. "
        f"From {first.value:g}{unit} on {_day(first.taken)} to {last.value:g}{unit} on "
        f"{_day(last.taken)} it is {summary.direction}, a change of {shown(abs(summary.change))}{unit} "
        f"over {n} results."
    )


def _spaced(unit: str) -> str:
    """A unit as it follows a number: " mg/dL", or nothing for a ratio like INR (no double space)."""
    return f" {unit}" if unit else ""
