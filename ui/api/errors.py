"""One JSON error shape for every failure: `{"error": {"code", "message"}}`, and never a bare 500.

Handlers map FastAPI's own errors (validation, 404, 405) onto the shape; `CatchAll` turns a bug into
a JSON 500 that names no request data, so a traceback cannot leak a message into the logs.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carecoord.outages import MESSAGES, classify

log = logging.getLogger("carecoord.api")


class ErrorDetail(BaseModel):
    """A machine-readable code and a sentence a person can act on."""

    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(Exception):
    """An expected failure with its status, code and message (raised by routes and dependencies)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON response for an error."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in {
        401: "Missing, invalid or expired token",
        403: "The thread belongs to another patient",
        404: "Unknown thread or patient",
        409: "A turn is already running on this thread",
        413: "Body too large",
        422: "Invalid request",
        429: "Rate limited (see Retry-After)",
        503: "A dependency is unavailable",
    }.items()
}
"""OpenAPI documentation of the error shape, shared by the /v1 routes."""


def _validation_message(exc: RequestValidationError) -> tuple[str, str]:
    """A short message naming the failing field, without echoing the submitted value."""
    errors = exc.errors()
    if not errors:
        return "invalid_request", "The request is not valid."
    first = errors[0]
    field = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "body"
    if first.get("type") == "string_too_long" and field == "text":
        limit = (first.get("ctx") or {}).get("max_length")
        return "message_too_long", f"A message may be at most {limit} characters."
    return "invalid_request", f"Invalid field '{field}': {first.get('msg', 'invalid value')}."


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the JSON shape."""

    async def api_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    async def validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        code, message = _validation_message(exc)
        return error_response(422, code, message)

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        codes = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}
        code = codes.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        return error_response(exc.status_code, code, message, dict(exc.headers or {}))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)


OUTAGE_RETRY_S = 30
"""`Retry-After` of a 503 caused by a store outage."""


class CatchAll:
    """ASGI middleware: a store outage becomes a JSON 503, anything else a JSON 500; logs name types only.

    Outages (database down, disk full) are expected in production and say so; a 500 means a bug.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # the last line of defence: a bug must not leak request text
            outage = classify(exc)
            if outage is not None:
                log.warning(
                    "%s (%s) on %s %s", outage, type(exc).__name__, scope.get("method"), scope.get("path")
                )
                response = error_response(503, outage, MESSAGES[outage], {"Retry-After": str(OUTAGE_RETRY_S)})
            else:
                log.error("unhandled %s on %s %s", type(exc).__name__, scope.get("method"), scope.get("path"))
                response = error_response(500, "internal", "Something went wrong on our side.")
            if not started:
                await response(scope, receive, send)
