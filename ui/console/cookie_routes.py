"""The console's two HTTP routes (served beside Streamlit by `st.App`): set and clear the session cookie.

`POST /carecoord/session` with a handoff nonce as its body answers `Set-Cookie` with the signed session
value: HttpOnly (page scripts cannot read it), SameSite=Strict (no other site's page sends it), `Secure`
when the console is reached over HTTPS. `POST /carecoord/session/end` clears it after a sign-out (the
session id is already revoked server-side, so a cookie that survives is refused anyway).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ui.console.session_cookie import COOKIE, HANDOFFS

SESSION_PATH = "/carecoord/session"
END_PATH = "/carecoord/session/end"
MAX_NONCE = 64


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def open_session(request: Request) -> Response:
    """Exchange a one-time nonce for the session cookie."""
    nonce = (await request.body())[:MAX_NONCE].decode("ascii", errors="replace").strip()
    handoff = HANDOFFS.take(nonce)
    if handoff is None:
        return PlainTextResponse("Unknown or expired sign-in.", status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        COOKIE,
        handoff.value,
        max_age=handoff.max_age,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return response


async def end_session(request: Request) -> Response:
    """Clear the session cookie."""
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(COOKIE, path="/", secure=_secure(request), httponly=True, samesite="strict")
    return response


routes = [
    Route(SESSION_PATH, open_session, methods=["POST"]),
    Route(END_PATH, end_session, methods=["POST"]),
]
