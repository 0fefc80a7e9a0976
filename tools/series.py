"""Summaries of a series of numeric readings: the computation the answer and the verifier share.

An average, a lowest or highest value, a change from first to last: each is derived from the readings it
names, so the toolbox phrases it from them and the verifier recomputes it from the cited Observations
(`agent/grounding/derived.py`). Readings of different units are never mixed; the caller picks one unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Direction = Literal["going up", "going down", "unchanged"]


@dataclass(frozen=True)
class Reading:
    """One numeric result with its unit and when it was taken."""

    value: float
    unit: str
    taken: datetime


@dataclass(frozen=True)
class Summary:
    """What a series of readings (oldest first) says as a whole."""

    readings: tuple[Reading, ...]

    @property
    def count(self) -> int:
        """How many readings."""
        return len(self.readings)

    @property
    def unit(self) -> str:
        """The unit all the readings share."""
        return self.readings[0].unit

    @property
    def first(self) -> Reading:
        """The oldest reading."""
        return self.readings[0]

    @property
    def last(self) -> Reading:
        """The newest reading."""
        return self.readings[-1]

    @property
    def average(self) -> float:
        """The mean value."""
        return sum(r.value for r in self.readings) / self.count

    @property
    def lowest(self) -> float:
        """The smallest value."""
        return min(r.value for r in self.readings)

    @property
    def highest(self) -> float:
        """The largest value."""
        return max(r.value for r in self.readings)

    @property
    def change(self) -> float:
        """Newest minus oldest."""
        return self.last.value - self.first.value

    @property
    def direction(self) -> Direction:
        """Up, down or unchanged from the oldest to the newest reading, at the precision shown."""
        if shown(self.change) == "0":
            return "unchanged"
        return "going up" if self.change > 0 else "going down"


def shown(value: float) -> str:
    """A derived number as answers write it: at most one decimal, no trailing zero ("120", "133.3")."""
    text = f"{round(value, 1):.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def reading_of(body: Mapping[str, object]) -> Reading | None:
    """The numeric reading of an Observation's JSON; None when it has no number, unit or time."""
    quantity = body.get("valueQuantity")
    when = body.get("effectiveDateTime")
    if not isinstance(quantity, Mapping) or not isinstance(when, str):
        return None
    value, unit = quantity.get("value"), quantity.get("unit") or quantity.get("code")
    if isinstance(value, bool) or not isinstance(value, int | float) or not isinstance(unit, str):
        return None
    try:
        taken = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return None
    return Reading(float(value), unit, taken)


def summarise(readings: Iterable[Reading]) -> Summary | None:
    """The readings oldest first, in the newest reading's unit; None when there are none."""
    ordered = sorted(readings, key=lambda r: r.taken)
    if not ordered:
        return None
    unit = ordered[-1].unit
    return Summary(tuple(r for r in ordered if r.unit == unit))
