"""The data dir holds PHI (databases, checkpoints, their WAL files): owner-only permissions."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077
"""Files this process creates from now on are owner-only (SQLite's WAL and journal files included)."""


def secure_data_dir(data_dir: Path, existing: bool = False) -> None:
    """Create `data_dir` owner-only and make every later file of this process owner-only.

    `existing` also tightens what is already there (files 0600, folders 0700), for launchers that run
    once before the workers start.
    """
    os.umask(UMASK)
    data_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    data_dir.chmod(DIR_MODE)
    if not existing:
        return
    for root, dirs, files in os.walk(data_dir):
        for name in dirs:
            Path(root, name).chmod(DIR_MODE)
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                path.chmod(FILE_MODE)
