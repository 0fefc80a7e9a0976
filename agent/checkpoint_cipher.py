"""LangGraph's `CipherProtocol` over the PHI keyring: the cipher name carries the key id."""

from __future__ import annotations

from carecoord.keyring import Sealed, TranscriptCipher, TranscriptKeyError

PREFIX = "ccgcm."
"""Cipher names are `ccgcm.<key id>` (LangGraph appends them to the type after a `+`)."""
CONTEXT = "langgraph-checkpoint"
"""Associated data of every checkpoint value: a value cannot be replayed into another store."""


class KeyringCipher:
    """Seals checkpoint bytes under the keyring's active key; opens them with the key they name."""

    def __init__(self, keyring: TranscriptCipher) -> None:
        self.keyring = keyring

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        """`(cipher name, ciphertext)` for LangGraph's `EncryptedSerializer`."""
        sealed = self.keyring.seal_bytes(plaintext, CONTEXT)
        return PREFIX + sealed.key_id, sealed.blob

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        """The plaintext of a value this cipher sealed (any configured key)."""
        if not ciphername.startswith(PREFIX):
            raise TranscriptKeyError(f"checkpoint sealed with an unknown cipher {ciphername!r}")
        return self.keyring.open_bytes(Sealed(ciphername.removeprefix(PREFIX), ciphertext), CONTEXT)
