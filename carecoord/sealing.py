"""Sealed columns: PHI in database tables is stored AES-GCM sealed with the PHI keyring.

A column typed `SealedText` or `SealedJSON` holds `sealed:v1:<key id>:<base64>`; the value is sealed
on write and opened on read by SQLAlchemy, so code reading `item.summary` sees the text. The keyring
travels with the engine (`make_engine(url, keyring)`): an engine without one can read and write every
other column but refuses to seal or open PHI. The column's name is the associated data, so a value
moved to another column fails to open. A value that cannot be opened (its key retired, the row
tampered with) reads as `UNREADABLE` text, or `None` for JSON, so one bad row never breaks a list.
"""

from __future__ import annotations

import base64
import binascii
import json
import weakref
from typing import Any

from sqlalchemy import Engine, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from carecoord.keyring import Sealed, TranscriptCipher, TranscriptKeyError

MARK = "sealed:v1:"
UNREADABLE = "[unreadable entry]"
"""What a sealed text column reads as when its value cannot be opened."""

_keyrings: weakref.WeakKeyDictionary[Dialect, TranscriptCipher] = weakref.WeakKeyDictionary()


class KeyringMissing(RuntimeError):
    """PHI was about to be written or read through an engine that has no keyring."""


def bind_keyring(engine: Engine, keyring: TranscriptCipher) -> None:
    """Let `engine`'s sealed columns use `keyring` (each engine has its own dialect object)."""
    _keyrings[engine.dialect] = keyring


def keyring_of(dialect: Dialect) -> TranscriptCipher:
    """The keyring bound to the engine of `dialect`; raises `KeyringMissing`."""
    keyring = _keyrings.get(dialect)
    if keyring is None:
        raise KeyringMissing("PHI columns are encrypted: configure CARECOORD_TRANSCRIPT_KEYS")
    return keyring


def is_sealed(stored: str) -> bool:
    """Whether a stored value is sealed (rows from before encryption are not)."""
    return stored.startswith(MARK)


def seal_text(keyring: TranscriptCipher, text: str, context: str) -> str:
    """The stored form of `text` in the column named `context`."""
    sealed = keyring.seal(text, context)
    return f"{MARK}{sealed.key_id}:{base64.b64encode(sealed.blob).decode()}"


def open_text(keyring: TranscriptCipher, stored: str, context: str) -> str:
    """The text of a stored value (a value from before encryption is returned as it is)."""
    if not is_sealed(stored):
        return stored
    key_id, _, blob = stored.removeprefix(MARK).rpartition(":")
    try:
        return keyring.open(Sealed(key_id, base64.b64decode(blob, validate=True)), context)
    except binascii.Error as exc:
        raise TranscriptKeyError(f"a sealed value in {context} is corrupt") from exc


class SealedText(TypeDecorator[str]):
    """Text sealed at rest."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        """Seal on write."""
        return None if value is None else seal_text(keyring_of(dialect), value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        """Open on read; an unopenable value reads as `UNREADABLE`."""
        if value is None:
            return None
        try:
            return open_text(keyring_of(dialect), value, self.context)
        except TranscriptKeyError:
            return UNREADABLE


class SealedJSON(TypeDecorator[Any]):
    """A JSON document sealed at rest."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Serialize and seal on write."""
        if value is None:
            return None
        return seal_text(keyring_of(dialect), json.dumps(value, separators=(",", ":")), self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        """Open and parse on read; an unopenable value reads as None."""
        if value is None:
            return None
        try:
            return json.loads(open_text(keyring_of(dialect), value, self.context))
        except (TranscriptKeyError, json.JSONDecodeError):
            return None
