"""The clinic's clock: one "now" and one timezone for windows, ages, slots and due times.

Edges build it from settings (`Clock(settings.timezone, settings.now)`); a fixed `now` makes evals and
demos reproducible. Every datetime it returns is timezone-aware, in the clinic's timezone.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict


class Clock:
    """Wall-clock time in the clinic's timezone, or a fixed instant when one is configured."""

    def __init__(self, timezone: str | ZoneInfo = "UTC", now: datetime | None = None) -> None:
        self.tz = timezone if isinstance(timezone, ZoneInfo) else zone(timezone)
        self._fixed = None if now is None else as_aware(now, self.tz)

    @property
    def fixed(self) -> bool:
        """Whether this clock is frozen at a configured instant."""
        return self._fixed is not None

    def now(self) -> datetime:
        """The current instant as an aware datetime in the clinic's timezone."""
        return self._fixed if self._fixed is not None else datetime.now(self.tz)

    def today(self) -> date:
        """The clinic's calendar date now."""
        return self.now().date()

    def __repr__(self) -> str:
        return f"Clock({self.tz.key!r}, now={self._fixed.isoformat() if self._fixed else None})"


def zone(name: str) -> ZoneInfo:
    """The IANA timezone `name`, or a ValueError naming it (settings turn that into a clear message)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA timezone {name!r} (e.g. 'UTC', 'America/New_York')") from exc


def as_aware(moment: datetime, tz: ZoneInfo) -> datetime:
    """`moment` in `tz`: a naive datetime is read as clinic-local time, an aware one is converted."""
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


class TimeWindow(BaseModel):
    """A half-open interval [start, end) of aware datetimes in the clinic's timezone; None = open.

    It lives beside the clock (not in the language layer) so record searches can take one directly.
    """

    model_config = ConfigDict(frozen=True)

    start: datetime | None
    end: datetime | None

    def contains(self, moment: datetime) -> bool:
        """Whether `moment` (aware) falls inside the window."""
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)

    def fhir_date_params(self) -> list[str]:
        """FHIR search values for a `date` parameter: `ge<start>` and `lt<end>`, each only when bounded."""
        params = []
        if self.start is not None:
            params.append(f"ge{self.start.isoformat()}")
        if self.end is not None:
            params.append(f"lt{self.end.isoformat()}")
        return params
