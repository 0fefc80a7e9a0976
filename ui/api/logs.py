"""Application logs: ids and timings only, never message text or names.

Uvicorn's access log is off (it would write query strings, where an `EventSource` carries its token);
`RequestLog` writes method, path, status and milliseconds instead. Paths hold only opaque ids.

A path is the client's to choose, and Starlette hands it over decoded: `/x%0A2030-01-01 INFO … login`
would write a second, forged line. `EscapeControls` (on the handler, so it sees every record of every
logger it serves, uvicorn's included) rewrites control and line-separator characters as visible escapes
(a newline becomes backslash-n, ESC backslash-x1b), so one record is always one line.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("carecoord.api")
FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d] %(message)s"


_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
"""Controls (newline, carriage return, ESC), format characters (bidi overrides) and line/paragraph separators."""
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str) -> str:
    """`text` with every control, format and separator character written as a visible escape."""
    if text.isprintable():
        return text
    return "".join(_escaped(char) for char in text)


def _escaped(char: str) -> str:
    if unicodedata.category(char) not in _UNSAFE_CATEGORIES:
        return char
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class EscapeControls(logging.Filter):
    """Rewrite each record's message (its arguments merged in) with `escape_controls`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Escape in place; never drops a record."""
        message = record.getMessage()
        escaped = escape_controls(message)
        if escaped != message:
            record.msg, record.args = escaped, None
        return True


def log_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for uvicorn and our loggers, all to stderr, control characters escaped."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "plain",
        "stream": "ext://sys.stderr",
        "filters": ["escape_controls"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"escape_controls": {"()": EscapeControls}},
        "formatters": {"plain": {"format": FORMAT}},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "carecoord": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


class RequestLog:
    """ASGI middleware: one line per request with its status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            log.info(
                "http %s %s %d ms=%.1f",
                scope.get("method"),
                scope.get("path"),
                status,
                (time.perf_counter() - started) * 1000,
            )
