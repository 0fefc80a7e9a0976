"""The events of a thread: what the stream sends and what the history replays.

Every event is stored (encrypted) in the transcript table and gets its row id, which doubles as the
SSE `id:` so a reconnecting `EventSource` resumes exactly where it dropped.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from agent.models import EscalationKind, EscalationLevel, EscalationStatus
from agent.result import ChatResult

EventType = Literal["message", "status", "answer", "escalation", "decision", "error"]
HISTORY_TYPES: frozenset[str] = frozenset({"message", "answer", "escalation", "decision", "error"})
"""Status lines are transient progress; the history leaves them out."""


class MessageEvent(BaseModel):
    """The patient's message."""

    type: Literal["message"] = "message"
    text: str


class StatusEvent(BaseModel):
    """Progress while a turn runs, e.g. "Checking your medications…"."""

    type: Literal["status"] = "status"
    text: str


class AnswerEvent(ChatResult):
    """The assistant's answer: the `ChatResult` fields (text with [n] markers, citations, grounding)."""

    type: Literal["answer"] = "answer"
    recovered: bool = False
    """The answer to an earlier message whose turn was interrupted, finished from its checkpoint."""


class EscalationEvent(BaseModel):
    """An item sent to the care team by this turn."""

    type: Literal["escalation"] = "escalation"
    id: str
    level: EscalationLevel
    kind: EscalationKind
    status: EscalationStatus
    summary: str = ""


class DecisionEvent(BaseModel):
    """A clinician's decision, delivered to the thread later (possibly by another process)."""

    type: Literal["decision"] = "decision"
    escalation_id: str | None
    outcome: str
    """approved, rejected, answered or acknowledged (or `decided` when the outcome is unknown)."""
    clinician: str = ""
    text: str
    """The line the patient sees, e.g. "Your care team (Dr. Lee) approved: …"."""


class ErrorEvent(BaseModel):
    """A turn that could not finish."""

    type: Literal["error"] = "error"
    code: str
    message: str


ThreadEvent = Annotated[
    MessageEvent | StatusEvent | AnswerEvent | EscalationEvent | DecisionEvent | ErrorEvent,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[ThreadEvent] = TypeAdapter(ThreadEvent)


class StoredEvent(BaseModel):
    """An event with its row id and time."""

    id: int
    created: datetime
    event: ThreadEvent


def to_sse(stored: StoredEvent) -> str:
    """One Server-Sent Events frame: `id`, `event` (the type) and the JSON `data`."""
    data = json.dumps(stored.model_dump(mode="json"), separators=(",", ":"))
    return f"id: {stored.id}\nevent: {stored.event.type}\ndata: {data}\n\n"
