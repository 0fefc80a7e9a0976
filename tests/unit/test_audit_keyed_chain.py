"""Issue 15: the keyed audit chain (HMAC-SHA256) and its signed anchors, as pure logic."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecoord.audit_anchor import Anchor, AnchorError, append, read, sign
from carecoord.audit_chain import GENESIS, StoredEntry, check_chain, encode_subjects, sha256_hex
from carecoord.audit_keys import AuditKeys, fingerprint

KEY = b"k" * 32
NEW_KEY = b"n" * 32
KEYS = AuditKeys(active=KEY)


def _append(entries: list[StoredEntry], keys: AuditKeys, actor: str = "agent") -> None:
    seq = len(entries) + 1
    entry = StoredEntry(
        seq=seq,
        time=f"2026-12-07T10:00:{seq:02d}.000000+00:00",
        actor=actor,
        action="answer",
        subjects=encode_subjects([f"Patient/p{seq}"]),
        payload_hash=sha256_hex(f"answer {seq}"),
        reasoner="offline",
        input_hash="",
        prev_hash=entries[-1].hash if entries else GENESIS,
        hash="",
        key_id=keys.active_id,
    )
    entry.hash = entry.computed_hash(keys)
    entries.append(entry)


def _chain(n: int, keys: AuditKeys = KEYS) -> list[StoredEntry]:
    entries: list[StoredEntry] = []
    for _ in range(n):
        _append(entries, keys)
    return entries


def _rehash_from(entries: list[StoredEntry], index: int, keys: AuditKeys) -> None:
    """What someone with database access but not the key does: recompute every later hash."""
    for i in range(index, len(entries)):
        entries[i].prev_hash = entries[i - 1].hash if i else GENESIS
        entries[i].hash = entries[i].computed_hash(keys)


def test_a_keyed_chain_holds_and_its_hashes_are_hmacs() -> None:
    entries = _chain(4)
    assert check_chain(entries, 4, entries[-1].hash, KEYS).ok
    unkeyed = entries[0].model_copy(update={"key_id": ""}).computed_hash()
    assert entries[0].key_id == fingerprint(KEY) and entries[0].hash != unkeyed


def test_an_edit_with_recomputed_hashes_fails_without_the_key() -> None:
    entries = _chain(5)
    entries[2].actor = "drsec"
    guessed = b"x" * 32  # the forger's best try: any key but the real one
    for i in range(2, 5):
        entries[i].prev_hash = entries[i - 1].hash
        entries[i].hash = (
            entries[i]
            .model_copy(update={"key_id": fingerprint(guessed)})
            .computed_hash(AuditKeys(active=guessed))
        )
    status = check_chain(entries, 5, entries[-1].hash, KEYS)
    assert not status.ok and status.first_broken == 3


def test_rewriting_the_tail_as_unkeyed_entries_is_caught() -> None:
    entries = _chain(4)
    entries[2].actor = "drsec"
    for entry in entries[2:]:
        entry.key_id = ""
    _rehash_from(entries, 2, AuditKeys())
    status = check_chain(entries, 4, entries[-1].hash, KEYS)
    assert not status.ok and status.first_broken == 3 and "not MACed" in status.message


def test_reordered_entries_are_caught() -> None:
    entries = _chain(4)
    entries[1], entries[2] = entries[2], entries[1]
    status = check_chain(entries, 4, entries[-1].hash, KEYS)
    assert not status.ok and status.first_broken == 2


def test_a_tail_deleted_with_the_head_rewound_is_caught_by_the_anchor() -> None:
    entries = _chain(6)
    anchor = sign(KEYS, 6, entries[-1].hash)
    kept = entries[:4]
    assert check_chain(kept, 4, kept[-1].hash, KEYS).ok  # the head alone cannot tell
    status = check_chain(kept, 4, kept[-1].hash, KEYS, [anchor])
    assert not status.ok and status.first_broken == 5 and "anchored at entry 6" in status.message


def test_an_anchored_entry_must_keep_its_hash() -> None:
    entries = _chain(3)
    anchor = sign(KEYS, 2, entries[1].hash)
    entries[1].hash = "0" * 64
    status = check_chain(entries, 3, entries[-1].hash, KEYS, [anchor])
    assert not status.ok and status.first_broken == 2


def test_after_a_rotation_old_entries_verify_with_the_retired_key() -> None:
    entries = _chain(2)
    rotated = AuditKeys(active=NEW_KEY, retired=(KEY,))
    _append(entries, rotated)
    assert check_chain(entries, 3, entries[-1].hash, rotated).ok
    dropped = check_chain(entries, 3, entries[-1].hash, AuditKeys(active=NEW_KEY))
    assert not dropped.ok and dropped.first_broken == 1 and "not configured" in dropped.message


def test_unkeyed_entries_from_before_the_key_still_verify() -> None:
    entries = _chain(2, AuditKeys())
    _append(entries, KEYS)
    assert check_chain(entries, 3, entries[-1].hash, KEYS).ok


def test_the_anchor_file_is_appended_and_every_line_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "anchors" / "audit.jsonl"
    append(path, sign(KEYS, 3, "a" * 64))
    append(path, sign(KEYS, 5, "b" * 64))
    assert [a.seq for a in read(path, KEYS)] == [3, 5]
    assert path.stat().st_mode & 0o077 == 0

    lines = path.read_text().splitlines()
    forged = Anchor.model_validate_json(lines[1]).model_copy(update={"seq": 9})
    path.write_text(lines[0] + "\n" + forged.model_dump_json() + "\n")
    with pytest.raises(AnchorError, match="line 2 .* altered"):
        read(path, KEYS)


def test_anchoring_needs_the_key() -> None:
    with pytest.raises(AnchorError, match="CARECOORD_AUDIT_KEY"):
        sign(AuditKeys(), 1, "a" * 64)
