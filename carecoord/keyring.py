"""AES-GCM encryption of PHI at rest, with key ids so keys can rotate.

One keyring seals every store that holds patient text: transcript rows, LangGraph checkpoints and the
review items' payloads. Each sealed value names the key that sealed it; new values use the active key,
old ones keep opening as long as their key stays configured. A context string (thread id and event
type, a column name) is bound in as associated data, so a value copied elsewhere fails to open.

The keys come from `Settings.transcript_keys`; the edges build the keyring (`carecoord.wiring`).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class TranscriptKeyError(ValueError):
    """The configured keys are unusable, or a value's key is missing or does not open it."""


@dataclass(frozen=True)
class Sealed:
    """Ciphertext as stored: key id plus nonce-prefixed AES-GCM output."""

    key_id: str
    blob: bytes


class TranscriptCipher:
    """Seals and opens PHI with a keyring of AES keys (named for its first use, transcripts)."""

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise TranscriptKeyError(f"transcript key id {active_key_id!r} is not among the configured keys")
        for key_id, key in keys.items():
            if len(key) not in (16, 24, 32):
                raise TranscriptKeyError(f"transcript key {key_id!r} must be 16, 24 or 32 bytes")
        self._keys = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.active_key_id = active_key_id

    @classmethod
    def from_base64(cls, keys: Mapping[str, str], active_key_id: str) -> TranscriptCipher:
        """The keyring from base64 keys (as configured) with `active_key_id` active."""
        decoded: dict[str, bytes] = {}
        for key_id, secret in keys.items():
            try:
                decoded[key_id] = base64.b64decode(secret, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise TranscriptKeyError(f"transcript key {key_id!r} is not valid base64") from exc
        if not decoded:
            raise TranscriptKeyError("no transcript keys configured (CARECOORD_TRANSCRIPT_KEYS)")
        return cls(decoded, active_key_id)

    def seal_bytes(self, data: bytes, context: str) -> Sealed:
        """Encrypt `data` under the active key, bound to `context`."""
        nonce = os.urandom(NONCE_BYTES)
        blob = self._keys[self.active_key_id].encrypt(nonce, data, context.encode())
        return Sealed(key_id=self.active_key_id, blob=nonce + blob)

    def open_bytes(self, sealed: Sealed, context: str) -> bytes:
        """Decrypt a stored value with the key it names."""
        aead = self._keys.get(sealed.key_id)
        if aead is None:
            raise TranscriptKeyError(f"transcript key {sealed.key_id!r} is no longer configured")
        nonce, blob = sealed.blob[:NONCE_BYTES], sealed.blob[NONCE_BYTES:]
        try:
            return aead.decrypt(nonce, blob, context.encode())
        except InvalidTag as exc:
            raise TranscriptKeyError(f"a value sealed with key {sealed.key_id!r} failed to open") from exc

    def seal(self, text: str, context: str) -> Sealed:
        """Encrypt `text` under the active key, bound to `context` (thread id and event type)."""
        return self.seal_bytes(text.encode(), context)

    def open(self, sealed: Sealed, context: str) -> str:
        """Decrypt a stored text value with the key it names."""
        return self.open_bytes(sealed, context).decode()


def new_key() -> str:
    """A fresh base64 AES-256 key, for `transcript_keys`."""
    return base64.b64encode(os.urandom(32)).decode()


def ephemeral_keyring() -> TranscriptCipher:
    """A keyring with one random key, for scratch stores that live and die with one process (evals)."""
    return TranscriptCipher({"ephemeral": os.urandom(32)}, "ephemeral")
