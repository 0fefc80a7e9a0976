"""Aggregate answers about one lab or vital: the previous value, an average, a lowest/highest, a trend.

Each derived number is a `Fact` carrying every reading it was computed from (`Fact.components`), so the
verifier recomputes it from the cited Observations and removes it if it does not match.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from agent.models import Fact
from tools import views
from tools.concepts.units import shown_unit
from tools.series import Summary, reading_of, shown, summarise

Aggregate = Literal["latest", "previous", "average", "lowest", "highest", "trend"]
"""What a lab question asks of the series: these are the `aggregate` rows of the language layer's terms."""
SERIES_AGGREGATES = frozenset({"average", "lowest", "highest", "trend"})
"""Aggregates computed over every reading in the window (the others read one result)."""


def _day(value: datetime) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def _summary(found: Sequence[views.Observation]) -> tuple[Summary, list[views.SourceResource]] | None:
    pairs = [(r, o.source) for o in found if (r := reading_of(o.source.json_body)) is not None]
    summary = summarise(r for r, _ in pairs)
    if summary is None:
        return None
    kept = set(map(id, summary.readings))
    sources = [s for r, s in sorted(pairs, key=lambda p: p[0].taken) if id(r) in kept]
    return summary, sources


def _sentence(aggregate: Aggregate, name: str, s: Summary) -> str:
    unit, n = _spaced(shown_unit(s.unit)), s.count
    span = (
        f"{n} results from {_day(s.first.taken)} to {_day(s.last.taken)}"
        if n > 1
        else (f"1 result, on {_day(s.last.taken)}")
    )
    if aggregate == "average":
        return f"Your {name} averaged {shown(s.average)}{unit} over {span}."
    if aggregate in ("lowest", "highest"):
        value = s.lowest if aggregate == "lowest" else s.highest
        return f"Your {aggregate} {name} result was {shown(value)}{unit}, among {span}."
    return (
        f"Your {name} is {s.direction}: from {s.first.value:g}{unit} on {_day(s.first.taken)} "
        f"to {s.last.value:g}{unit} on {_day(s.last.taken)}, a change of {shown(abs(s.change))}{unit} "
        f"over {n} results."
    )


def series_fact(aggregate: Aggregate, name: str, found: Sequence[views.Observation]) -> Fact | None:
    """One derived sentence over `found` (any order), citing every reading it used; None without numbers."""
    summarised = _summary(found)
    if summarised is None or aggregate not in SERIES_AGGREGATES:
        return None
    summary, sources = summarised
    if aggregate == "trend" and summary.count < 2:
        return None
    text = _sentence(aggregate, name, summary)
    taken = f"{summary.first.taken:%Y-%m-%d} to {summary.last.taken:%Y-%m-%d}"
    return Fact(text=text, source=sources[-1], title=f"Your test results, {taken}", components=tuple(sources))


def _spaced(unit: str) -> str:
    """A unit as it follows a number: " mg/dL", or nothing for a ratio like INR (no double space)."""
    return f" {unit}" if unit else ""
