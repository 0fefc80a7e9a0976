"""The console's signed session: who signed in, until when, under which revocable id.

A Streamlit session lives as long as its websocket, so a browser refresh used to ask for the password
again. The sign-in now also issues `v1.<user>.<sid>.<expires>.<mac>`, an HMAC-SHA256 under the console's
secret, kept by the browser in an HttpOnly, SameSite=Strict cookie that page scripts cannot read. A
refreshed page's new websocket carries the cookie; `verify` checks the MAC and the expiry, and the caller
checks that `sid` was not revoked (sign-out revokes it in the shared database) and that the user is still
active.

Streamlit scripts cannot set cookies, so the value travels through a one-time handoff: the signed-in
script stores it here under a random nonce (valid for a minute, used once) and the page posts that nonce
to the console's own route (`ui.console.cookie_routes`), which answers with `Set-Cookie`. The value
itself never reaches the page's JavaScript.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

COOKIE = "carecoord_session"
VERSION = "v1"
HANDOFF_TTL_S = 60.0


@dataclass(frozen=True)
class SessionClaims:
    """What a valid session value says."""

    user: str
    sid: str
    """The session id that sign-out revokes."""
    expires: int
    """Unix time after which the value is refused."""


class SessionSigner:
    """Signs and checks session values with one secret."""

    def __init__(self, secret: bytes, lifetime_s: float) -> None:
        if len(secret) < 32:
            raise ValueError("the console session secret must be at least 32 bytes")
        self._secret = secret
        self.lifetime_s = lifetime_s

    def _mac(self, user_b64: str, sid: str, expires: str) -> str:
        message = f"{VERSION}.{user_b64}.{sid}.{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, user: str, now: float | None = None) -> tuple[str, SessionClaims]:
        """A fresh session value for `user` and what it claims."""
        expires = int((now if now is not None else time.time()) + self.lifetime_s)
        sid = secrets.token_hex(16)
        user_b64 = base64.urlsafe_b64encode(user.encode()).decode().rstrip("=")
        value = f"{VERSION}.{user_b64}.{sid}.{expires}.{self._mac(user_b64, sid, str(expires))}"
        return value, SessionClaims(user=user, sid=sid, expires=expires)

    def verify(self, value: str, now: float | None = None) -> SessionClaims | None:
        """The claims of an authentic, unexpired value; None for anything else."""
        parts = value.split(".")
        if len(parts) != 5 or parts[0] != VERSION:
            return None
        _, user_b64, sid, expires, mac = parts
        if not hmac.compare_digest(mac, self._mac(user_b64, sid, expires)) or not expires.isdigit():
            return None
        if int(expires) <= (now if now is not None else time.time()):
            return None
        try:
            user = base64.urlsafe_b64decode(user_b64 + "=" * (-len(user_b64) % 4)).decode()
        except ValueError:
            return None
        return SessionClaims(user=user, sid=sid, expires=int(expires))


@dataclass(frozen=True)
class Handoff:
    """A session value waiting for the browser to collect it as a cookie."""

    value: str
    max_age: int
    """Seconds the cookie should live (until the value expires)."""
    deadline: float


class Handoffs:
    """One-time nonces for session values, shared by the console's scripts and its cookie route."""

    def __init__(self) -> None:
        self._waiting: dict[str, Handoff] = {}
        self._lock = threading.Lock()

    def put(self, value: str, max_age: int) -> str:
        """Keep `value` for one collection within a minute; returns the nonce that collects it."""
        nonce = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._waiting = {k: h for k, h in self._waiting.items() if h.deadline > now}
            self._waiting[nonce] = Handoff(value, max_age, now + HANDOFF_TTL_S)
        return nonce

    def take(self, nonce: str) -> Handoff | None:
        """The value under `nonce`, removed; None when unknown, used or expired."""
        with self._lock:
            handoff = self._waiting.pop(nonce, None)
        if handoff is None or handoff.deadline <= time.monotonic():
            return None
        return handoff


HANDOFFS = Handoffs()
"""The process's handoffs: the console's scripts and routes run in one process (`st.App`)."""
