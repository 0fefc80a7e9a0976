"""The patient routes: open a session, send a message, stream events, read the history."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from tools.errors import FhirError, FhirNotFound
from ui.api.decisions import sync_decisions
from ui.api.deps import LimitedPrincipalDep, StateDep, StreamThreadDep, ThreadDep, WriteThreadDep
from ui.api.errors import ERROR_RESPONSES, ApiError
from ui.api.events import HISTORY_TYPES, MessageEvent
from ui.api.schemas import MessageAccepted, MessageIn, SessionOut, ThreadHistory
from ui.api.stream import thread_events

router = APIRouter(prefix="/v1", tags=["patient"], responses=ERROR_RESPONSES)


@router.post("/sessions", status_code=201, response_model=SessionOut)
async def open_session(api: StateDep, who: LimitedPrincipalDep) -> SessionOut:
    """Open a session (a new thread) for the token's patient."""
    try:
        await anyio.to_thread.run_sync(api.service.services.gateway.read, "Patient", who.patient_id)
    except FhirNotFound as exc:
        raise ApiError(404, "patient_not_found", "The token's patient is not in the health record.") from exc
    except FhirError as exc:
        raise ApiError(
            503, "fhir_unavailable", "The health record cannot be reached; try again shortly."
        ) from exc
    thread = await anyio.to_thread.run_sync(api.store.open_thread, who.patient_id)
    return SessionOut(thread_id=thread.id, patient_id=thread.patient_id, created=thread.created)


@router.post("/threads/{thread_id}/messages", status_code=202, response_model=MessageAccepted)
async def send_message(api: StateDep, thread: WriteThreadDep, message: MessageIn) -> MessageAccepted:
    """Store the message and start its turn; the answer arrives on the event stream."""
    stored = await anyio.to_thread.run_sync(api.store.begin_turn, thread, MessageEvent(text=message.text))
    if stored is None:
        raise ApiError(409, "turn_in_progress", "Wait for the answer to your last message first.")
    api.wakeups.publish(thread.id)
    api.turns.start(thread, message.text)
    return MessageAccepted(
        thread_id=thread.id, message_id=stored.id, events=f"/v1/threads/{thread.id}/events"
    )


@router.get(
    "/threads/{thread_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream_events(
    request: Request,
    api: StateDep,
    thread: StreamThreadDep,
    last_event_id: Annotated[str | None, Header(include_in_schema=False)] = None,
    after: Annotated[int, Query(ge=0, le=2**62, description="Send only events after this id.")] = 0,
) -> StreamingResponse:
    """Server-Sent Events: `status`, `answer`, `escalation`, `decision`, `error` (and the patient's `message`)."""
    resume = (
        int(last_event_id) if last_event_id and last_event_id.isdigit() and len(last_event_id) < 19 else after
    )
    return StreamingResponse(
        thread_events(request, api, thread, resume),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/threads/{thread_id}", response_model=ThreadHistory)
async def history(api: StateDep, thread: ThreadDep) -> ThreadHistory:
    """The thread's messages, answers, escalations and decisions, oldest first."""
    if await anyio.to_thread.run_sync(sync_decisions, api.service, api.store, thread):
        api.wakeups.publish(thread.id)  # open streams show the newly stored decision now
    events = await anyio.to_thread.run_sync(api.store.events, thread.id, 0, HISTORY_TYPES)
    current = await anyio.to_thread.run_sync(api.store.thread, thread.id)
    return ThreadHistory(
        thread_id=thread.id,
        patient_id=thread.patient_id,
        created=thread.created,
        busy=bool(current and current.busy),
        events=events,
    )
