"""The window a booking request asks for ("sometime in january", "next week", "after the 15th").

Read with the language layer's time expressions, preferring the future (a booking in "january" is the
coming January). Only the part of the window still ahead counts; a window wholly past is no window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tools.clock import Clock

OPEN_ENDED_DAYS = 30
"""How far "after the 15th" (a window with no end) reaches."""
MAX_DAYS = 366
"""The furthest ahead a request can ask; schedules are not published further."""


@dataclass(frozen=True)
class BookingWindow:
    """Where to look for open times: from `start`, for `days` days; `text` is the patient's phrase."""

    start: datetime
    days: int
    text: str


def booking_window(question: str, clock: Clock) -> BookingWindow | None:
    """The first time phrase of `question` that still lies ahead, as a search window; None if none."""
    from agent.language import analyze  # spaCy loads with the first turn, not with the graph

    now = clock.now()
    for expression in analyze(question, clock=clock, prefer="future").times:
        window = expression.window
        start = max(window.start or now, now)
        end = window.end or start + timedelta(days=OPEN_ENDED_DAYS)
        if end <= start:
            continue
        days = min(MAX_DAYS, max(1, -(-(end - start) // timedelta(days=1))))
        return BookingWindow(start=start, days=days, text=expression.text)
    return None
