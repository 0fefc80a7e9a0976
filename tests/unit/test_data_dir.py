"""Issue 15: the data dir and everything in it is owner-only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from carecoord.data_dir import secure_data_dir


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_existing_files_and_folders_are_tightened_and_new_files_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sandbox").mkdir(parents=True, mode=0o755)
    old = data / "sandbox" / "fhir.sqlite3"
    old.write_text("x")
    old.chmod(0o644)
    previous = os.umask(0o022)
    try:
        secure_data_dir(data, existing=True)
        fresh = data / "checkpoints.sqlite3-wal"
        fresh.write_text("y")
        (data / "chroma").mkdir()
    finally:
        os.umask(previous)

    assert _mode(data) == 0o700 and _mode(data / "sandbox") == 0o700 and _mode(data / "chroma") == 0o700
    assert _mode(old) == 0o600 and _mode(fresh) == 0o600


def test_a_missing_data_dir_is_created_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        secure_data_dir(tmp_path / "new" / "data")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "new" / "data") == 0o700
