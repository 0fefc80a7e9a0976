"""The audit chain's HMAC keys: entries are MACed with the active key; retired keys still verify.

The key lives outside the database (`CARECOORD_AUDIT_KEY`), so someone who can rewrite the tables
cannot recompute the chain. Each entry stores the fingerprint of the key that MACed it, so the key can
rotate: the new key MACs new entries, the old one stays configured as retired to verify the old ones.
Entries written before any key was configured carry no fingerprint (plain SHA-256); once a keyed entry
exists, an unkeyed one after it is a forgery.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

FINGERPRINT_CHARS = 16


def fingerprint(key: bytes) -> str:
    """A short public id of a key (never the key): what an entry stores to name its key."""
    return hashlib.sha256(b"carecoord-audit-key\x00" + key).hexdigest()[:FINGERPRINT_CHARS]


class UnknownAuditKey(KeyError):
    """An entry or anchor names a key that is not configured (neither active nor retired)."""


@dataclass(frozen=True)
class AuditKeys:
    """The active key (None: an unkeyed chain, as before issue 15) and the retired ones."""

    active: bytes | None = None
    retired: tuple[bytes, ...] = field(default_factory=tuple)

    @property
    def active_id(self) -> str:
        """The fingerprint new entries store ("" when there is no key)."""
        return fingerprint(self.active) if self.active is not None else ""

    def key(self, key_id: str) -> bytes | None:
        """The key an entry names; None for "" (unkeyed); raises `UnknownAuditKey`."""
        if not key_id:
            return None
        for key in (self.active, *self.retired):
            if key is not None and fingerprint(key) == key_id:
                return key
        raise UnknownAuditKey(key_id)

    def mac(self, key: bytes | None, message: bytes) -> str:
        """HMAC-SHA256 under `key`, or plain SHA-256 for an unkeyed entry."""
        if key is None:
            return hashlib.sha256(message).hexdigest()
        return hmac.new(key, message, hashlib.sha256).hexdigest()
