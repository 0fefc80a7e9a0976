"""Age from a date of birth on a given day: the one computation the answer and the verifier share."""

from __future__ import annotations

from datetime import date


def age_on(birth: date, today: date) -> int:
    """Completed years between `birth` and `today` (a birthday later this year has not counted yet)."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
