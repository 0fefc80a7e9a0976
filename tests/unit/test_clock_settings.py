"""The clock is a setting: CARECOORD_NOW and CARECOORD_TIMEZONE, and the Clock built from them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from carecoord.settings import Settings
from tools.clock import Clock


def test_defaults_are_wall_clock_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARECOORD_NOW", raising=False)
    monkeypatch.delenv("CARECOORD_TIMEZONE", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.now is None and settings.timezone == "UTC"
    clock = Clock(settings.timezone, settings.now)
    assert not clock.fixed
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5
    assert clock.now().tzinfo is not None


def test_env_sets_a_fixed_now_in_the_clinic_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECOORD_NOW", "2024-03-15T09:30:00")
    monkeypatch.setenv("CARECOORD_TIMEZONE", "America/New_York")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.now == datetime(2024, 3, 15, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    clock = Clock(settings.timezone, settings.now)
    assert clock.fixed and clock.now() == settings.now
    assert clock.today() == date(2024, 3, 15)
    assert clock.tz.key == "America/New_York"


def test_an_aware_now_is_converted_to_the_clinic_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECOORD_NOW", "2024-03-15T02:00:00+00:00")
    monkeypatch.setenv("CARECOORD_TIMEZONE", "America/Los_Angeles")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.now is not None
    assert settings.now.isoformat() == "2024-03-14T19:00:00-07:00"
    assert Clock(settings.timezone, settings.now).today() == date(2024, 3, 14)


def test_blank_now_means_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECOORD_NOW", "")
    assert Settings(_env_file=None).now is None  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("name", "value"), [("CARECOORD_TIMEZONE", "Mars/Olympus"), ("CARECOORD_NOW", "next tuesday")]
)
def test_bad_values_are_refused_clearly(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert ("IANA" in str(info.value)) == (name == "CARECOORD_TIMEZONE")


def test_clock_refuses_an_unknown_zone() -> None:
    with pytest.raises(ValueError, match="unknown IANA timezone"):
        Clock("Nowhere/Special")


def test_env_example_and_readme_document_both() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for variable in ("CARECOORD_NOW", "CARECOORD_TIMEZONE"):
        assert f"{variable}=" in (root / ".env.example").read_text(encoding="utf-8")
        assert f"`{variable}`" in (root / "README.md").read_text(encoding="utf-8")
