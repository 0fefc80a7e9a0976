"""Time phrases become windows on the clinic's clock, in the direction the ask implies."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agent.language import TimeExpression, analyze
from agent.language.times import Direction
from tools.clock import Clock

NY = ZoneInfo("America/New_York")
CLOCK = Clock("America/New_York", datetime(2024, 3, 15, 9, 30))  # a Friday, five days after DST began


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)  # type: ignore[misc]


def only(text: str, prefer: Direction = "past") -> TimeExpression:
    times = analyze(text, clock=CLOCK, prefer=prefer).times
    assert len(times) == 1, times
    return times[0]


NOW = at(2024, 3, 15, 9, 30)


@pytest.mark.parametrize(
    ("text", "prefer", "start", "end"),
    [
        ("yesterday", "past", at(2024, 3, 14), at(2024, 3, 15)),
        ("my A1c over the last 6 months", "past", at(2023, 9, 15), NOW),
        ("potassium in the past two weeks", "past", at(2024, 3, 1), NOW),
        ("since March", "past", at(2024, 3, 1), NOW),
        ("since november", "past", at(2023, 11, 1), NOW),
        ("what was my sugar on November 12, 2023", "past", at(2023, 11, 12), at(2023, 11, 13)),
        ("between March and June", "past", at(2024, 3, 1), at(2024, 7, 1)),
        ("from nov to march", "past", at(2023, 11, 1), at(2024, 4, 1)),
        ("this week", "past", at(2024, 3, 11), at(2024, 3, 18)),
        ("next week", "future", at(2024, 3, 18), at(2024, 3, 25)),
        ("last week", "past", at(2024, 3, 4), at(2024, 3, 11)),
        ("book me with endocrinology sometime in january", "future", at(2025, 1, 1), at(2025, 2, 1)),
        ("my weight in january", "past", at(2024, 1, 1), at(2024, 2, 1)),
        ("tomorrow morning", "future", at(2024, 3, 16, 6), at(2024, 3, 16, 12)),
        ("tonight", "past", at(2024, 3, 15, 21), at(2024, 3, 16)),
        ("3 days ago", "past", at(2024, 3, 12), at(2024, 3, 13)),
        ("a few days ago", "past", at(2024, 3, 12), at(2024, 3, 13)),
        ("in 2 weeks", "future", at(2024, 3, 25), at(2024, 4, 1)),
        ("on monday", "future", at(2024, 3, 18), at(2024, 3, 19)),
        ("on monday", "past", at(2024, 3, 11), at(2024, 3, 12)),
        ("last tuesday", "past", at(2024, 3, 12), at(2024, 3, 13)),
        ("in 2023", "past", at(2023, 1, 1), at(2024, 1, 1)),
        ("11/12/2023", "past", at(2023, 11, 12), at(2023, 11, 13)),
        ("2023-11-12", "past", at(2023, 11, 12), at(2023, 11, 13)),
        ("Nov 12th", "past", at(2023, 11, 12), at(2023, 11, 13)),
        ("the 12th of november", "past", at(2023, 11, 12), at(2023, 11, 13)),
        ("march 2023", "future", at(2023, 3, 1), at(2023, 4, 1)),
        ("the past month", "past", at(2024, 2, 15), NOW),
        ("next 3 days", "future", NOW, at(2024, 3, 18, 9, 30)),
        ("for 20 minutes", "past", at(2024, 3, 15, 9, 10), NOW),
        ("this morning", "past", at(2024, 3, 15, 6), at(2024, 3, 15, 12)),
    ],
)
def test_windows(text: str, prefer: Direction, start: datetime, end: datetime) -> None:
    window = only(text, prefer).window
    assert (window.start, window.end) == (start, end)
    assert window.start is not None and window.start.tzinfo is not None


def test_open_ended_windows() -> None:
    before = only("before march").window
    assert (before.start, before.end) == (None, at(2024, 3, 1))
    after = only("after monday").window
    assert (after.start, after.end) == (at(2024, 3, 12), None)


def test_expression_carries_text_span_rule_and_granularity() -> None:
    text = "what was my potassium since March?"
    expression = only(text)
    assert text[expression.start : expression.end] == "since March" == expression.text
    assert (expression.rule, expression.granularity) == ("since", "range")
    assert only("in january", "future").granularity == "month"


@pytest.mark.parametrize(
    "text",
    [
        "I may have a fever",
        "this may be a stroke",
        "I was lying in the sun",
        "my chest hurts",
        "march to the store",
    ],
)
def test_ordinary_words_are_not_times(text: str) -> None:
    assert analyze(text, clock=CLOCK).times == ()


def test_a_window_contains() -> None:
    window = only("yesterday").window
    assert window.contains(at(2024, 3, 14, 23, 59))
    assert not window.contains(at(2024, 3, 15))


def test_the_clock_decides_today() -> None:
    other = Clock("Asia/Tokyo", datetime(2024, 3, 15, 1, 0, tzinfo=ZoneInfo("UTC")))  # 10:00 in Tokyo
    window = analyze("yesterday", clock=other).times[0].window
    assert window.start == datetime(2024, 3, 14, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_parse_times_and_fhir_params() -> None:
    from agent.language import parse_times

    [expression] = parse_times("last 6 months", clock=CLOCK)
    assert expression.window.fhir_date_params() == [
        "ge2023-09-15T00:00:00-04:00",
        "lt2024-03-15T09:30:00-04:00",
    ]
    [open_end] = parse_times("before march", clock=CLOCK)
    assert open_end.window.fhir_date_params() == ["lt2024-03-01T00:00:00-05:00"]
