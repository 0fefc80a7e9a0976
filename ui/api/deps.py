"""Dependencies of the routes, as `Annotated` aliases: the process state, the caller, their thread."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ui.api.auth import InvalidToken, Principal
from ui.api.errors import ApiError
from ui.api.state import ApiState
from ui.api.store import ThreadInfo

_bearer = HTTPBearer(auto_error=False, description="A patient token (`carecoord tokens issue`).")
_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}
ThreadId = Annotated[
    str, Path(min_length=1, max_length=64, description="The thread id from POST /v1/sessions.")
]


def api_state(request: Request) -> ApiState:
    """The state built at startup."""
    state: ApiState = request.app.state.api
    return state


StateDep = Annotated[ApiState, Depends(api_state)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _verify(api: ApiState, token: str | None) -> Principal:
    if not token:
        raise ApiError(
            401, "token_missing", "Send a patient token as 'Authorization: Bearer …'.", _UNAUTHORIZED
        )
    try:
        who = api.tokens.verify(token)
    except InvalidToken as exc:
        raise ApiError(401, exc.code, exc.message, _UNAUTHORIZED) from exc
    if api.revocations.is_revoked(who.jti):
        raise ApiError(
            401, "token_revoked", "This token has been revoked; sign in again for a new one.", _UNAUTHORIZED
        )
    return who


def principal(api: StateDep, credentials: BearerDep) -> Principal:
    """The patient of the bearer token (401 when missing, invalid, expired, too long-lived or revoked).

    A plain `def`: FastAPI runs it on its thread pool, where the revocation lookup may touch the database.
    """
    return _verify(api, credentials.credentials if credentials else None)


def stream_principal(
    api: StateDep,
    credentials: BearerDep,
    access_token: Annotated[
        str | None,
        Query(description="The token, for clients that cannot set headers (a browser `EventSource`)."),
    ] = None,
) -> Principal:
    """Like `principal`, also accepting `?access_token=` (RFC 6750 §2.3) for `EventSource`."""
    return _verify(api, credentials.credentials if credentials else access_token)


PrincipalDep = Annotated[Principal, Depends(principal)]
StreamPrincipalDep = Annotated[Principal, Depends(stream_principal)]


async def patient_limit(api: StateDep, who: PrincipalDep) -> Principal:
    """The caller, after counting this write against the patient's rate limit (429 when over)."""
    await api.limiter.check_patient(who.patient_id)
    return who


LimitedPrincipalDep = Annotated[Principal, Depends(patient_limit)]


async def _owned(api: ApiState, thread_id: str, who: Principal) -> ThreadInfo:
    thread = await anyio.to_thread.run_sync(api.store.thread, thread_id)
    if thread is None:
        raise ApiError(404, "thread_not_found", "No such thread.")
    if thread.patient_id != who.patient_id:
        raise ApiError(403, "forbidden", "This thread belongs to another patient.")
    return thread


async def owned_thread(api: StateDep, thread_id: ThreadId, who: PrincipalDep) -> ThreadInfo:
    """The thread in the path, if it belongs to the caller's patient (404 unknown, 403 someone else's)."""
    return await _owned(api, thread_id, who)


async def owned_thread_limited(api: StateDep, thread_id: ThreadId, who: LimitedPrincipalDep) -> ThreadInfo:
    """`owned_thread` for writes: the patient's rate limit is counted first."""
    return await _owned(api, thread_id, who)


async def streamed_thread(api: StateDep, thread_id: ThreadId, who: StreamPrincipalDep) -> ThreadInfo:
    """`owned_thread` for the event stream (token in the header or the query)."""
    return await _owned(api, thread_id, who)


ThreadDep = Annotated[ThreadInfo, Depends(owned_thread)]
WriteThreadDep = Annotated[ThreadInfo, Depends(owned_thread_limited)]
StreamThreadDep = Annotated[ThreadInfo, Depends(streamed_thread)]
