"""A command that meets sealed PHI without a keyring says how to fix it, in one line, exit 2."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import StatementError

import carecoord.cli
from carecoord.sealing import KeyringMissing


def test_a_missing_keyring_is_one_clear_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def listing() -> None:
        try:
            raise KeyringMissing("PHI columns are encrypted: configure CARECOORD_TRANSCRIPT_KEYS")
        except KeyringMissing as cause:  # as SQLAlchemy reports what a column type raised
            raise StatementError("(builtins.KeyringMissing)", "SELECT", {}, cause) from cause

    monkeypatch.setattr(carecoord.cli, "app", listing)
    with pytest.raises(SystemExit) as ended:
        carecoord.cli.main()
    assert ended.value.code == carecoord.cli.CONFIGURATION_EXIT == 2
    shown = capsys.readouterr().err
    assert shown.strip() == (
        "Error (configuration): PHI columns are encrypted: configure CARECOORD_TRANSCRIPT_KEYS"
    )


def test_other_errors_keep_their_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(carecoord.cli, "app", broken)
    with pytest.raises(ValueError, match="a bug"):
        carecoord.cli.main()
