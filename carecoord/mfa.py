"""TOTP second factor (RFC 6238, via pyotp) for clinicians and admins."""

from __future__ import annotations

import pyotp

ISSUER = "CareCoord"
VALID_WINDOW = 1
"""Codes from the previous and next 30-second step are accepted too (clock drift)."""


def new_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, user: str) -> str:
    """The `otpauth://` URI an authenticator app enrolls from (shown once, as text or a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user, issuer_name=ISSUER)


def code_matches(secret: str, code: str) -> bool:
    """Whether `code` is the current one-time code of `secret` (within the drift window)."""
    cleaned = code.strip().replace(" ", "")
    return cleaned.isdigit() and pyotp.TOTP(secret).verify(cleaned, valid_window=VALID_WINDOW)


def current_code(secret: str) -> str:
    """The code an authenticator shows now (for tests and the demo)."""
    return pyotp.TOTP(secret).now()
