"""The evaluator's own reading of a patient's results: what a correct answer about a lab must say.

Suites ask "what's my latest potassium" of whichever patient a selector picks, so the expected value is
computed at run time from the record on the server. It must not be computed by the code under test: the
concept of each Observation comes from the cohort's coding table (`tools/sandbox/cohort/local_codes.yaml`:
the LOINC, local and text-only codes the generator wrote), never from the agent's concept resolution.

Placeholder names (`{{patient.NAME}}`): `AGG_CONCEPT` or `AGG_CONCEPT__WINDOW`, where AGG is one of `AGGREGATES`,
CONCEPT a concept id of the coding table (`potassium`, `blood_pressure`...) and WINDOW one of `WINDOWS`.
Derived numbers follow the answers' rules (`tools.series`): readings of the newest reading's unit only, at most
one decimal. Times are read in UTC, the clock the evaluation runs the agent with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tools.sandbox.cohort.codings import local_code_table

AGGREGATES = ("latest", "previous", "date", "lowest", "highest", "average", "count", "trend")
WINDOWS = ("yesterday", "7d", "30d", "6m", "12m", "prev_month")
NAMED = ("age", "birth_date", "prev_month_name")
NAME = re.compile(rf"^(?P<agg>{'|'.join(AGGREGATES)})_(?P<concept>[a-z0-9_]+?)(?:__(?P<window>\w+))?$")
BLOOD_PRESSURE = "blood_pressure"


@dataclass(frozen=True)
class Reading:
    """One result of a concept: when, the number(s) as recorded, and its unit."""

    taken: datetime
    values: tuple[float, ...]
    unit: str

    @property
    def value(self) -> float:
        """The (first) number: the systolic of a blood pressure."""
        return self.values[0]


def is_record_placeholder(name: str) -> bool:
    """Whether `name` is a record placeholder this module can fill (syntax and concept only)."""
    if name in NAMED:
        return True
    match = NAME.match(name)
    if match is None or (match["window"] and match["window"] not in WINDOWS):
        return False
    return match["concept"] in {row.concept for row in local_code_table().rows.values()}


def shown(value: float) -> str:
    """A derived number as answers write it (`tools.series.shown`): at most one decimal, no trailing zero."""
    text = f"{round(value, 1):.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def number_regex(text: str) -> str:
    """A number as written, not part of a longer one ("4.3" never matches inside "14.35"); "8" accepts "8.0"."""
    whole = text[:-2] if text.endswith(".0") else text
    tail = r"(?:\.0+)?" if "." not in whole else ""
    return rf"(?<![\d.]){re.escape(whole)}{tail}(?![.,]?\d)"


def recorded(value: float) -> str:
    """A recorded value as JSON wrote it: 4.3, 128 (not 128.0)."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def date_regex(day: date) -> str:
    """A calendar day in the spellings answers use."""
    forms = [
        f"{day:%B} {day.day}(?:st|nd|rd|th)?,? {day.year}",
        f"{day:%b}\\.? {day.day}(?:st|nd|rd|th)?(?:,? {day.year})?",
        day.isoformat(),
        f"{day.month}/{day.day}/{day.year}",
    ]
    return "(?:" + "|".join(forms) + ")"


TREND_WORDS = {
    "going up": r"(?:going up|gone up|rising|risen|increas\w*|higher|upward)",
    "going down": r"(?:going down|gone down|falling|fallen|decreas\w*|lower|downward|dropp\w*)",
    "unchanged": r"(?:unchanged|steady|stable|the same|not changed)",
}


class RecordFacts:
    """A patient's results by concept, birth date and the run's clock: the values record placeholders name."""

    def __init__(
        self, observations: Sequence[Mapping[str, Any]], birth_date: date | None, now: datetime
    ) -> None:
        self.now = now.astimezone(UTC)
        self.birth_date = birth_date
        self.series: dict[str, list[Reading]] = {}
        table = local_code_table()
        for body in observations:
            concept = table.concept_of(body.get("code"))
            reading = _reading(body)
            if concept is not None and reading is not None:
                self.series.setdefault(concept, []).append(reading)
        for readings in self.series.values():
            readings.sort(key=lambda r: r.taken, reverse=True)

    @property
    def today(self) -> date:
        """The run's calendar day (UTC)."""
        return self.now.date()

    def window(self, name: str) -> tuple[datetime, datetime]:
        """[start, end) of a named window, as the agent's time rules place it (`agent/language/times.py`)."""
        midnight = datetime.combine(self.today, time(0), tzinfo=UTC)
        if name == "yesterday":
            return midnight - timedelta(days=1), midnight
        if name == "prev_month":
            first = self.today.replace(day=1)
            start = (first - timedelta(days=1)).replace(day=1)
            return datetime.combine(start, time(0), tzinfo=UTC), datetime.combine(first, time(0), tzinfo=UTC)
        if name in ("6m", "12m"):
            months = int(name[:-1])
            index = self.today.year * 12 + self.today.month - 1 - months
            year, month = divmod(index, 12)
            start_day = _clamped(year, month + 1, self.today.day)
            return datetime.combine(start_day, time(0), tzinfo=UTC), self.now
        days = int(name[:-1])
        return midnight - timedelta(days=days), self.now

    def readings(self, concept: str, window: str | None) -> list[Reading]:
        """Newest first; inside the window when one is named."""
        found = self.series.get(concept, [])
        if window is None:
            return found
        start, end = self.window(window)
        return [r for r in found if start <= r.taken < end]

    def value(self, name: str) -> tuple[str, str] | None:
        """(plain text, regex) of a placeholder; None when this record cannot fill it."""
        if name == "age":
            age = self._age()
            return None if age is None else (str(age), rf"(?<!\d){age}(?!\d)")
        if name == "birth_date":
            return (
                None
                if self.birth_date is None
                else (self.birth_date.isoformat(), date_regex(self.birth_date))
            )
        if name == "prev_month_name":
            start, _ = self.window("prev_month")
            return f"{start:%B}", f"{start:%B}"
        match = NAME.match(name)
        if match is None:
            return None
        readings = self.readings(match["concept"], match["window"])
        if readings:
            unit = readings[0].unit
            readings = [r for r in readings if r.unit == unit]
        compute = _AGGREGATORS[match["agg"]]
        return compute(readings, match["concept"] == BLOOD_PRESSURE)

    def _age(self) -> int | None:
        born, today = self.birth_date, self.today
        if born is None:
            return None
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _clamped(year: int, month: int, day: int) -> date:
    from calendar import monthrange

    return date(year, month, min(day, monthrange(year, month)[1]))


def _reading(body: Mapping[str, Any]) -> Reading | None:
    when = body.get("effectiveDateTime")
    if not isinstance(when, str):
        return None
    taken = datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone(UTC)
    quantity = body.get("valueQuantity")
    if isinstance(quantity, Mapping) and isinstance(quantity.get("value"), int | float):
        return Reading(
            taken, (float(quantity["value"]),), str(quantity.get("unit") or quantity.get("code") or "")
        )
    parts = [c.get("valueQuantity") for c in body.get("component") or []]
    numbers = tuple(float(p["value"]) for p in parts if isinstance(p, Mapping) and "value" in p)
    return Reading(taken, numbers, "mm[Hg]") if len(numbers) == 2 else None


def _one(reading: Reading | None, pressure: bool) -> tuple[str, str] | None:
    if reading is None:
        return None
    if pressure:
        systolic, diastolic = (recorded(v) for v in reading.values)
        return f"{systolic}/{diastolic}", rf"(?<!\d){systolic}\s*/\s*{diastolic}(?!\d)"
    text = recorded(reading.value)
    return text, number_regex(text)


def _derived(value: float) -> tuple[str, str]:
    text = shown(value)
    return text, number_regex(text)


def _trend(readings: list[Reading], _: bool) -> tuple[str, str] | None:
    if len(readings) < 2:
        return None
    change = readings[0].value - readings[-1].value
    direction = "unchanged" if shown(change) == "0" else ("going up" if change > 0 else "going down")
    return direction, TREND_WORDS[direction]


_AGGREGATORS: dict[str, Callable[[list[Reading], bool], tuple[str, str] | None]] = {
    "latest": lambda rs, bp: _one(rs[0] if rs else None, bp),
    "previous": lambda rs, bp: _one(rs[1] if len(rs) > 1 else None, bp),
    "date": lambda rs, _: (rs[0].taken.date().isoformat(), date_regex(rs[0].taken.date())) if rs else None,
    "lowest": lambda rs, bp: None if bp or not rs else _derived(min(r.value for r in rs)),
    "highest": lambda rs, bp: None if bp or not rs else _derived(max(r.value for r in rs)),
    "average": lambda rs, bp: None if bp or not rs else _derived(sum(r.value for r in rs) / len(rs)),
    "count": lambda rs, _: (str(len(rs)), rf"(?<!\d){len(rs)}(?!\d)") if rs else None,
    "trend": _trend,
}
