"""Issue 15: `carecoord audit anchor|verify` with the HMAC key: a deleted tail with a rewound head fails."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.agent import TEST_KEYS

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]
"""Six CLI processes: each one imports the app (about 5 s idle, 30 s on a loaded machine)."""

AUDIT_KEY = "an-audit-key-for-the-test-0123456789"


def test_anchor_then_truncate_and_rewind_is_caught(tmp_path: Path) -> None:
    database = tmp_path / "review.sqlite3"
    anchors = tmp_path / "elsewhere" / "anchors.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARECOORD_", "ANTHROPIC_"))}
    env.update(
        CARECOORD_DATA_DIR=str(tmp_path / "data"),
        CARECOORD_DATABASE_URL=f"sqlite:///{database}",
        CARECOORD_TRANSCRIPT_KEYS=json.dumps({k: v.get_secret_value() for k, v in TEST_KEYS.items()}),
        CARECOORD_TRANSCRIPT_KEY_ID="test",
        CARECOORD_AUDIT_KEY=AUDIT_KEY,
        CARECOORD_AUDIT_ANCHOR_PATH=str(anchors),
    )

    def carecoord(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "carecoord", *args], input=stdin, capture_output=True, text=True, env=env
        )
        # rich wraps long lines at 80 columns when not on a terminal: compare words, not layout
        done.stdout, done.stderr = " ".join(done.stdout.split()), " ".join(done.stderr.split())
        return done

    def failed_sign_in() -> None:
        refused = carecoord(
            "review", "acknowledge", "esc-x", "--as", "mallory", "--password-stdin", stdin="x\n"
        )
        assert refused.returncode == 1 and "authentication failed" in refused.stderr

    for _ in range(2):
        failed_sign_in()  # each attempt is an audit entry
    anchored = carecoord("audit", "anchor")
    assert anchored.returncode == 0 and "Anchored entry 2" in anchored.stdout, anchored.stderr
    verified = carecoord("audit", "verify")
    assert verified.returncode == 0 and "2 entries" in verified.stdout, verified.stderr
    with sqlite3.connect(database) as db:
        keyed = db.execute("SELECT count(*) FROM audit_entries WHERE key_id <> ''").fetchone()[0]
        assert keyed == 2
        # Someone with database access: drop the guard, delete the tail, rewind the head.
        db.execute("DROP TRIGGER audit_entries_no_delete")
        db.execute("DELETE FROM audit_entries WHERE seq = 2")
        [first] = db.execute("SELECT hash FROM audit_entries WHERE seq = 1").fetchone()
        db.execute("UPDATE audit_head SET seq = 1, hash = ? WHERE id = 1", (first,))
    tampered = carecoord("audit", "verify")
    assert tampered.returncode == 1 and "broken at entry 2" in tampered.stderr
    assert "anchored at entry 2" in tampered.stderr

    anchors.write_text(anchors.read_text().replace('"seq":2', '"seq":1'))
    forged = carecoord("audit", "verify")
    assert forged.returncode == 1 and "altered" in forged.stderr
