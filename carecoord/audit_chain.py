"""The audit log's hash chain: how one entry's hash is computed and how a sequence of entries is checked.

Each entry's hash covers its own fields and the previous entry's hash, so altering, removing or
reordering any row breaks every link after it; the head row (last seq and hash) catches a truncated tail.
With an audit key (issue 15) the hash is an HMAC-SHA256, so rewriting the chain needs the key, and signed
anchors kept outside the database catch a tail deleted together with a rewound head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel

from carecoord.audit_anchor import Anchor
from carecoord.audit_keys import AuditKeys, UnknownAuditKey

GENESIS = "0" * 64
"""The `prev_hash` of entry 1."""


class AuditEntry(BaseModel):
    """One link of the chain. Payloads are never stored, only their SHA-256."""

    seq: int
    time: datetime
    actor: str
    action: str
    subjects: list[str]
    """References the entry is about: `Patient/p1`, `thread:t-…`, `review:esc-…`, `MedicationRequest/9`."""
    payload_hash: str
    reasoner: str = ""
    """Reasoner and model version behind an agent action, e.g. `offline` or `claude:claude-sonnet-4-5`."""
    input_hash: str = ""
    """SHA-256 of what the action answered (the patient's message), when there is one."""
    prev_hash: str
    hash: str


class ChainStatus(BaseModel):
    """The outcome of `AuditLog.verify`."""

    ok: bool
    checked: int
    first_broken: int | None = None
    """Sequence number of the first entry that fails (or is missing)."""
    message: str


def sha256_hex(data: bytes | str) -> str:
    """Hex SHA-256 of bytes, or of a string's UTF-8 encoding."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def entry_hash(
    seq: int,
    time: str,
    actor: str,
    action: str,
    subjects: str,
    payload_hash: str,
    reasoner: str,
    input_hash: str,
    prev_hash: str,
    key: bytes | None = None,
) -> str:
    """The hash of one entry, over its stored (text) form so a database round trip cannot change it.

    HMAC-SHA256 under `key` when the chain is keyed, plain SHA-256 otherwise.
    """
    fields = [seq, time, actor, action, subjects, payload_hash, reasoner, input_hash, prev_hash]
    return AuditKeys().mac(key, json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode())


def encode_subjects(subjects: Iterable[str]) -> str:
    """Subjects as stored: a compact JSON array."""
    return json.dumps(list(subjects), separators=(",", ":"), ensure_ascii=False)


class StoredEntry(BaseModel):
    """An entry exactly as the table holds it (text time and subjects), for re-hashing."""

    seq: int
    time: str
    actor: str
    action: str
    subjects: str
    payload_hash: str
    reasoner: str
    input_hash: str
    prev_hash: str
    hash: str
    key_id: str = ""
    """Fingerprint of the audit key that MACed this entry ("" for an unkeyed entry)."""

    def computed_hash(self, keys: AuditKeys | None = None) -> str:
        """What the hash column must hold if nothing was altered; raises `UnknownAuditKey`."""
        key = (keys or AuditKeys()).key(self.key_id)
        return entry_hash(
            self.seq,
            self.time,
            self.actor,
            self.action,
            self.subjects,
            self.payload_hash,
            self.reasoner,
            self.input_hash,
            self.prev_hash,
            key,
        )

    def public(self) -> AuditEntry:
        """The entry with parsed time and subjects."""
        return AuditEntry(
            seq=self.seq,
            time=datetime.fromisoformat(self.time),
            actor=self.actor,
            action=self.action,
            subjects=json.loads(self.subjects),
            payload_hash=self.payload_hash,
            reasoner=self.reasoner,
            input_hash=self.input_hash,
            prev_hash=self.prev_hash,
            hash=self.hash,
        )


def check_chain(
    entries: Iterable[StoredEntry],
    head_seq: int,
    head_hash: str,
    keys: AuditKeys | None = None,
    anchors: Sequence[Anchor] = (),
) -> ChainStatus:
    """Walk entries in seq order and name the first one that is missing, altered, unlinked or unkeyed.

    With `keys`, entries are checked against the key each names, and once a keyed entry appears every
    later one must be keyed. Each of `anchors` pins the hash of its entry; the log must reach the last.
    """
    keys = keys or AuditKeys()
    pinned = {anchor.seq: anchor for anchor in anchors}
    expected, previous, keyed = 1, GENESIS, False
    for entry in entries:
        if entry.seq != expected:
            return _broken(expected, expected - 1, f"entry {expected} is missing (next found: {entry.seq})")
        if keyed and not entry.key_id:
            return _broken(entry.seq, expected - 1, f"entry {entry.seq} is not MACed with the audit key")
        keyed = keyed or bool(entry.key_id)
        try:
            computed = entry.computed_hash(keys)
        except UnknownAuditKey:
            return _broken(entry.seq, expected - 1, f"entry {entry.seq} names an audit key not configured")
        if computed != entry.hash:
            return _broken(
                entry.seq, expected - 1, f"entry {entry.seq} was altered (its hash does not match)"
            )
        if entry.prev_hash != previous:
            return _broken(
                entry.seq, expected - 1, f"entry {entry.seq} does not link to entry {entry.seq - 1}"
            )
        anchor = pinned.get(entry.seq)
        if anchor is not None and anchor.hash != entry.hash:
            return _broken(
                entry.seq, expected - 1, f"entry {entry.seq} differs from its anchor of {anchor.time}"
            )
        expected, previous = expected + 1, entry.hash
    checked = expected - 1
    last = max(anchors, key=lambda a: a.seq, default=None)
    if last is not None and last.seq > checked:
        return _broken(
            checked + 1,
            checked,
            f"the log ends at entry {checked} but was anchored at entry {last.seq} on {last.time} "
            "(entries removed from the end)",
        )
    if checked != head_seq:
        return _broken(
            min(checked, head_seq) + 1,
            checked,
            f"the chain ends at entry {checked} but its head records entry {head_seq} "
            "(entries removed from the end, or added behind the log's back)",
        )
    if previous != head_hash:
        return _broken(checked, checked, f"entry {checked} does not match the chain head (it was rewritten)")
    return ChainStatus(ok=True, checked=checked, message=f"audit chain intact: {checked} entries")


def _broken(seq: int, checked: int, message: str) -> ChainStatus:
    return ChainStatus(ok=False, checked=checked, first_broken=seq, message=message)
