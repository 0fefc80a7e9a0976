"""The window a booking asks for, on a fixed clock: the coming month, next week, a day; none when unsaid."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.booking_window import booking_window
from tools.clock import Clock

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("question", "start", "days"),
    [
        ("book me with endocrinology sometime in january", datetime(2027, 1, 1, tzinfo=UTC), 31),
        ("can I see the cardiologist next week", datetime(2026, 12, 14, tzinfo=UTC), 7),
        ("i need an appointment tomorrow", datetime(2026, 12, 8, tzinfo=UTC), 1),
        ("book me in march 2027", datetime(2027, 3, 1, tzinfo=UTC), 31),
        ("any openings this month?", NOW, 25),  # only what is still ahead of now
    ],
)
def test_the_asked_window_is_the_coming_one(question: str, start: datetime, days: int) -> None:
    window = booking_window(question, Clock("UTC", NOW))
    assert window is not None
    assert (window.start, window.days) == (start, days)


@pytest.mark.parametrize("question", ["book me a visit", "can I see dr. lee", "I need a checkup"])
def test_no_time_named_is_no_window(question: str) -> None:
    assert booking_window(question, Clock("UTC", NOW)) is None
