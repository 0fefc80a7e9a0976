"""Issue 15: demo mode binds to loopback only and says so at start; forwarded headers need a trusted proxy."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carecoord.cli import app
from ui.api.cli import is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "::", "example.org"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("command", [["serve", "--host", "0.0.0.0"], ["console", "--address", "0.0.0.0"]])
def test_demo_mode_refuses_a_public_bind(command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECOORD_DEMO_MODE", "1")
    from carecoord.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, command)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "loopback" in result.output


def test_a_data_dir_made_by_up_demo_keeps_every_command_in_demo_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carecoord.settings import DEMO_MARKER, get_settings

    monkeypatch.delenv("CARECOORD_DEMO_MODE", raising=False)
    monkeypatch.delenv("CARECOORD_TRANSCRIPT_KEYS", raising=False)
    monkeypatch.setenv("CARECOORD_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        plain = get_settings()
        (tmp_path / DEMO_MARKER).write_text("demo\n")
        get_settings.cache_clear()
        marked = get_settings()
    finally:
        get_settings.cache_clear()
    assert not plain.demo_mode and not plain.transcript_keys
    assert marked.demo_mode and set(marked.transcript_keys) == {"demo"}
