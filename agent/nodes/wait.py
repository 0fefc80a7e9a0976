"""wait: park the thread while clinicians decide; resumed by a decision or the patient's next message.

LangGraph discards a pending interrupt when a thread is invoked with fresh input, so a thread with
open escalations is always resumed with `Command(resume=...)`: either a clinician's decision (the
patient sees it in the same conversation) or the patient's next message (the turn runs, then the
thread parks here again). Nothing happens before `interrupt()`, so the re-run on resume is harmless.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.types import Command, interrupt
from pydantic import BaseModel

from agent.models import Decision
from agent.responses import responses
from agent.state import TurnState
from agent.transcript import TranscriptLine


class PatientMessage(BaseModel):
    """A resume value carrying the patient's next message."""

    type: Literal["message"] = "message"
    text: str


class DecisionEvent(BaseModel):
    """A resume value carrying a clinician's decision."""

    type: Literal["decision"] = "decision"
    decision: Decision


def decision_text(decision: Decision) -> str:
    """The patient-facing line for a decision."""
    said = responses()
    template = {
        "approved": said.decision_approved,
        "rejected": said.decision_rejected,
        "answered": said.decision_answered,
        "acknowledged": said.decision_acknowledged,
    }[decision.outcome]
    return template.format(
        clinician=decision.clinician, action=decision.action_summary, note=decision.note, text=decision.text
    )


def wait(state: TurnState) -> Command[Literal["screen", "wait", "__end__"]]:
    """Interrupt while escalations are pending; route the resume value."""
    if not state.pending:
        return Command(goto="__end__")
    raw = interrupt({"pending": [ref.id for ref in state.pending]})
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "message":
        message = PatientMessage.model_validate(raw)
        return Command(goto="screen", update={"question": message.text})
    event = DecisionEvent.model_validate(raw)
    decision = event.decision
    line = decision_text(decision)
    remaining = [ref for ref in state.pending if ref.id != decision.escalation_id]
    update: dict[str, Any] = {
        "pending": remaining,
        "decision": decision,
        "final_text": line,
        "transcript": [*state.transcript, TranscriptLine(speaker="care_team", text=line, decision=decision)],
    }
    return Command(goto="wait", update=update)
