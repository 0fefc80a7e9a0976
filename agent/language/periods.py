"""Calendar arithmetic on the clinic's clock: day starts, month steps, calendar periods, ranges."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, time, timedelta
from typing import Literal

from agent.language.models import Granularity
from tools.clock import Clock, TimeWindow

Unit = Literal["minute", "hour", "day", "week", "month", "year"]


def day_start(day: date, clock: Clock) -> datetime:
    """Midnight starting `day` in the clinic's timezone."""
    return datetime.combine(day, time(0), tzinfo=clock.tz)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (Jan 31 + 1 month = Feb 29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def shift(moment: datetime, n: int, unit: Unit) -> datetime:
    """`moment` moved by `n` units (calendar months and years; exact minutes to weeks)."""
    if unit in ("month", "year"):
        moved = add_months(moment.date(), n * (12 if unit == "year" else 1))
        return datetime.combine(moved, moment.timetz())
    return moment + timedelta(**{f"{unit}s": n})


def period(moment: datetime, unit: Unit, clock: Clock, week_start: int) -> TimeWindow:
    """The calendar unit (day, week, month, year; minute/hour: that hour) containing `moment`."""
    day = moment.date()
    if unit in ("minute", "hour"):
        start = moment.replace(minute=0, second=0, microsecond=0)
        return TimeWindow(start=start, end=start + timedelta(hours=1))
    if unit == "day":
        first, last = day, day + timedelta(days=1)
    elif unit == "week":
        first = day - timedelta(days=(day.weekday() - week_start) % 7)
        last = first + timedelta(days=7)
    elif unit == "month":
        first = day.replace(day=1)
        last = add_months(first, 1)
    else:
        first, last = date(day.year, 1, 1), date(day.year + 1, 1, 1)
    return TimeWindow(start=day_start(first, clock), end=day_start(last, clock))


def clock_time(text: str) -> timedelta:
    """A clock time such as "06:00" as the time since midnight."""
    hours, minutes = (int(x) for x in text.split(":"))
    return timedelta(hours=hours, minutes=minutes)


def granularity(unit: Unit) -> Granularity:
    """The granularity of a window one `unit` long."""
    granularity: dict[Unit, Granularity] = {
        "minute": "instant",
        "hour": "instant",
        "day": "day",
        "week": "week",
        "month": "month",
        "year": "year",
    }
    return granularity[unit]


def joined(first: TimeWindow, last: TimeWindow, last_granularity: Granularity) -> TimeWindow:
    """[first.start, last.end), moving `last` a year (month) or a week (day) on when it came out earlier."""
    end = last.end
    if end is not None and first.start is not None and end <= first.start:
        if last_granularity == "month":
            end = datetime.combine(add_months(end.date(), 12), end.timetz())
        elif last_granularity in ("day", "part_of_day"):
            end = end + timedelta(days=7)
    return TimeWindow(start=first.start, end=end)
