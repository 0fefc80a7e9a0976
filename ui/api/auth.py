"""Patient tokens: HS256 JWTs whose `patient` claim binds every session and thread to one patient.

The API never takes a patient id from a request body or path; it comes from the verified token. A token
must carry `iat`, `exp` and `jti`, and live no longer than the configured maximum (`exp - iat`), so a
leaked token is bounded in time and can be revoked by its `jti` (`carecoord tokens revoke`).
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

import jwt

from carecoord.settings import Settings

ALGORITHM = "HS256"
_TTL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
REQUIRED_CLAIMS = "iss, patient, iat, exp and jti"


class TokenConfigError(ValueError):
    """The API cannot mint or check tokens with these settings."""


class InvalidToken(Exception):
    """A token that is missing, malformed, badly signed, from another issuer or expired."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Principal:
    """Who is calling: the patient the token was minted for."""

    patient_id: str
    expires_at: int
    jti: str
    """The token's id, which `carecoord tokens revoke` names."""


def shown(seconds: int) -> str:
    """`86400` as "24h", `90` as "90s": durations in messages."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_ttl(text: str) -> int:
    """Seconds in "90", "90s", "15m", "1h" or "2d"."""
    match = _TTL.match(text)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"not a duration: {text!r} (try 15m, 1h, 2d)")
    return int(match.group(1)) * _UNITS[match.group(2)]


class TokenService:
    """Mints and verifies patient tokens with one shared secret."""

    def __init__(self, secret: str, issuer: str, ttl_s: int, max_lifetime_s: int = 86_400) -> None:
        if len(secret) < 16:
            raise TokenConfigError("CARECOORD_JWT_SECRET must be at least 16 characters")
        self._secret = secret
        self.issuer = issuer
        self.ttl_s = ttl_s
        self.max_lifetime_s = max_lifetime_s

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenService:
        """The service for `jwt_secret`/`jwt_issuer`/`jwt_ttl_s`; refuses to run without a secret."""
        if settings.jwt_secret is None:
            raise TokenConfigError(
                "set CARECOORD_JWT_SECRET (or run in demo mode with CARECOORD_DEMO_MODE=1)"
            )
        return cls(
            settings.jwt_secret.get_secret_value(),
            settings.jwt_issuer,
            settings.jwt_ttl_s,
            settings.token_max_lifetime_s,
        )

    def issue(self, patient_id: str, ttl_s: int | None = None) -> str:
        """A token for one patient, valid for `ttl_s` (default: the configured TTL, at most the maximum)."""
        lifetime = ttl_s or self.ttl_s
        if lifetime > self.max_lifetime_s:
            raise ValueError(
                f"a {shown(lifetime)} token exceeds the {shown(self.max_lifetime_s)} maximum "
                "(CARECOORD_TOKEN_MAX_LIFETIME_S)"
            )
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": f"patient/{patient_id}",
            "patient": patient_id,
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; `InvalidToken` otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "patient"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token_expired", "The token has expired; sign in again.") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(
                "token_invalid", f"The token has no '{exc.claim}' claim; tokens need {REQUIRED_CLAIMS}."
            ) from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("token_invalid", "The token is not valid.") from exc
        patient = claims.get("patient")
        if not isinstance(patient, str) or not patient or len(patient) > 64:
            raise InvalidToken("token_invalid", "The token names no patient.")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > 64:
            raise InvalidToken(
                "token_invalid", f"The token has no 'jti' claim; tokens need {REQUIRED_CLAIMS}."
            )
        lifetime = int(claims["exp"]) - int(claims["iat"])
        if lifetime > self.max_lifetime_s:
            raise InvalidToken(
                "token_lifetime_exceeded",
                f"The token lives {shown(lifetime)}, longer than the {shown(self.max_lifetime_s)} maximum; "
                "ask for a shorter-lived token.",
            )
        return Principal(patient_id=patient, expires_at=int(claims["exp"]), jti=jti)
