"""Request limits: windowed rate limits per patient and per client IP, and a body-size cap.

A key's window opens with its first hit and lasts `WINDOW_S`; `Retry-After` is the time left in it.

Counters live in Redis when `redis_url` is set (shared by every worker and host), else in this
process (each worker then counts on its own).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.api.errors import ApiError, error_response

log = logging.getLogger("carecoord.api")
WINDOW_S = 60


class CounterUnavailable(Exception):
    """The counter store did not answer; the request is let through (limits must not cause outages)."""


class Counter(Protocol):
    """Counts hits of a key in a window that opens with the key's first hit."""

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Count one hit; returns the key's hits in its window and the seconds until the window ends."""
        ...


class MemoryCounter:
    """In-process counters (one worker's view)."""

    MAX_KEYS = 50_000
    """Past this many keys, windows that ended are dropped (a bound on memory)."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Count a hit in the key's current window."""
        now = time.monotonic()
        with self._lock:
            opened, count = self._windows.get(key, (now, 0))
            if now - opened >= window_s:
                opened, count = now, 0
            self._windows[key] = (opened, count + 1)
            if len(self._windows) > self.MAX_KEYS:
                self._windows = {k: v for k, v in self._windows.items() if now - v[0] < window_s}
        return count + 1, max(1, int(window_s - (now - opened)) + 1)


class RedisCounter:
    """Counters in Redis: `INCR`, an expiry set on the first hit (`EXPIRE NX`), and its `TTL`."""

    def __init__(self, url: str, prefix: str = "carecoord:rl") -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = prefix

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Count a hit in Redis."""
        from redis.exceptions import RedisError

        name = f"{self._prefix}:{key}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window_s, nx=True)
                pipe.ttl(name)
                count, _, ttl = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise CounterUnavailable(type(exc).__name__) from exc
        return int(count), max(1, int(ttl))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


class RateLimiter:
    """Per-patient and per-IP limits over one counter."""

    def __init__(self, counter: Counter, per_patient: int, per_ip: int, window_s: int = WINDOW_S) -> None:
        self.counter = counter
        self.per_patient = per_patient
        self.per_ip = per_ip
        self.window_s = window_s

    async def _check(self, key: str, limit: int, what: str) -> None:
        try:
            count, retry = await self.counter.hit(key, self.window_s)
        except CounterUnavailable as exc:
            log.warning("rate-limit store unavailable (%s); request allowed", exc)
            return
        if count > limit:
            raise ApiError(
                429,
                "rate_limited",
                f"Too many requests {what}; try again in {retry} s.",
                {"Retry-After": str(retry)},
            )

    async def check_patient(self, patient_id: str) -> None:
        """Raise 429 when this patient has sent too much this window."""
        await self._check(f"patient:{patient_id}", self.per_patient, "for this patient")

    async def check_ip(self, ip: str) -> None:
        """Raise 429 when this client address has sent too much this window."""
        await self._check(f"ip:{ip}", self.per_ip, "from this address")


class IpRateLimit:
    """ASGI middleware applying the per-IP limit to the `/v1` API and the demo helpers (`/demo/`)."""

    def __init__(
        self, app: ASGIApp, limiter: RateLimiter, prefixes: tuple[str, ...] = ("/v1/", "/demo/")
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(self.prefixes):
            client = scope.get("client")
            try:
                await self.limiter.check_ip(client[0] if client else "unknown")
            except ApiError as exc:
                await error_response(exc.status, exc.code, exc.message, exc.headers)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """ASGI middleware: bodies over `max_bytes` get a JSON 413 before any route sees them.

    The body is read here (it is small by definition) so a chunked upload without Content-Length is
    capped too, and replayed to the app.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> ApiError:
        return ApiError(413, "body_too_large", f"The request body may be at most {self.max_bytes} bytes.")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            exc = self._too_large()
            await error_response(exc.status, exc.code, exc.message)(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                exc = self._too_large()
                await error_response(exc.status, exc.code, exc.message)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
