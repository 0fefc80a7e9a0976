"""Whether a prescription's validity has ended is judged on the clinic's clock (CARECOORD_NOW), not the host's."""

from __future__ import annotations

from datetime import date

import pytest

from carecoord.settings import Settings
from tests.fixtures.views import medication
from tools.clock import Clock
from tools.views import Medication
from ui.console.views.patient import _medication_line


def _medication(validity_end: date) -> Medication:
    return medication("metformin 500 MG Oral Tablet", "m1", refills_allowed=2, validity_end=validity_end)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    monkeypatch.setenv("CARECOORD_NOW", "2024-03-15T09:30:00")
    monkeypatch.setenv("CARECOORD_TIMEZONE", "UTC")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return Clock(settings.timezone, settings.now)


@pytest.mark.parametrize(
    ("validity_end", "expired"),
    [(date(2024, 3, 14), True), (date(2024, 3, 15), False), (date(2024, 4, 1), False)],
)
def test_expiry_follows_the_configured_now(clock: Clock, validity_end: date, expired: bool) -> None:
    # 2024-04-01 is long past on the host's calendar; at CARECOORD_NOW it is still valid.
    assert _medication(validity_end).refill_expired(clock) is expired


def test_the_console_marks_expiry_by_the_clinic_clock(clock: Clock) -> None:
    assert "(expired)" not in _medication_line(_medication(date(2024, 4, 1)), clock)
    assert "(expired)" in _medication_line(_medication(date(2024, 3, 1)), clock)
