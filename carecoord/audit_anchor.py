"""Anchors: the chain head (seq, hash, time) signed with the audit key, in a file outside the database.

Anchors are appended to the file, never rewritten. `audit verify` checks every anchored entry still has its anchored hash and the log still
reaches the last anchor, so deleting the tail and rewinding `audit_head` is caught too.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from carecoord.audit_keys import AuditKeys, UnknownAuditKey

FILE_MODE = 0o600
log = logging.getLogger(__name__)


class AnchorError(ValueError):
    """The anchor file is unreadable, altered, or cannot be written."""


class Anchor(BaseModel):
    """One signed head: the chain had `seq` entries ending in `hash` at `time`."""

    seq: int
    hash: str
    time: str
    key_id: str
    mac: str

    @staticmethod
    def message(seq: int, hash_: str, time: str) -> bytes:
        """What the MAC covers."""
        return json.dumps([seq, hash_, time], separators=(",", ":")).encode()


def sign(keys: AuditKeys, seq: int, hash_: str) -> Anchor:
    """An anchor of the head (`seq`, `hash_`) now, MACed with the active key."""
    if keys.active is None:
        raise AnchorError("anchoring needs the audit key: set CARECOORD_AUDIT_KEY")
    time = datetime.now(UTC).isoformat(timespec="seconds")
    mac = keys.mac(keys.active, Anchor.message(seq, hash_, time))
    return Anchor(seq=seq, hash=hash_, time=time, key_id=keys.active_id, mac=mac)


def append(path: Path, anchor: Anchor) -> None:
    """Append one anchor line (the file is created owner-only, opened append-only, synced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        os.write(fd, (anchor.model_dump_json() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path, keys: AuditKeys) -> list[Anchor]:
    """Every anchor in the file, each MAC checked; raises `AnchorError` naming the first bad line."""
    if not path.exists():
        return []
    anchors: list[Anchor] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            anchor = Anchor.model_validate_json(line)
            key = keys.key(anchor.key_id)
        except (ValidationError, UnknownAuditKey) as exc:
            raise AnchorError(
                f"anchor line {number} of {path} is unreadable or names an unknown key"
            ) from exc
        expected = keys.mac(key, Anchor.message(anchor.seq, anchor.hash, anchor.time))
        if key is None or not hmac.compare_digest(expected, anchor.mac):
            raise AnchorError(f"anchor line {number} of {path} was altered (its MAC does not match)")
        anchors.append(anchor)
    return anchors


class Anchorer:
    """Anchors the head every `interval_s` in a daemon thread (the API and the console run one)."""

    def __init__(self, anchor_now: Callable[[], object], interval_s: float) -> None:
        self._anchor_now = anchor_now
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-anchor", daemon=True)

    def start(self) -> Anchorer:
        """Begin anchoring (the first anchor is written one interval from now)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the current anchor, if one is being written."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._anchor_now()
            except Exception as exc:  # an unreachable database must not end the anchoring for good
                log.warning(
                    "audit anchoring failed (%s); retrying in %.0f s", type(exc).__name__, self.interval_s
                )
