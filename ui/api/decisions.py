"""Bring clinicians' decisions from the patient's thread into the API's transcript.

A decision reaches the patient's LangGraph thread from whichever process the clinician used (the
review CLI, the console, another API worker): the agent appends a care-team `TranscriptLine` carrying
the decision (item, outcome, clinician). Streams and the history call `sync_decisions` to store each
new line once as a `decision` event (a unique key per line makes concurrent watchers harmless).
"""

from __future__ import annotations

from typing import Protocol

from agent.state import TurnState
from ui.api.events import DecisionEvent, EscalationEvent, StoredEvent
from ui.api.store import ThreadInfo, TranscriptStore


class ThreadStates(Protocol):
    """Where a thread's state is read (the chat service)."""

    def state(self, thread_id: str) -> TurnState:
        """The thread's current state."""
        ...


def awaiting(store: TranscriptStore, thread_id: str) -> list[str]:
    """Ids of this thread's escalations still waiting for a decision, oldest first."""
    events = store.events(thread_id, types=frozenset({"escalation", "decision"}))
    decided = {e.event.escalation_id for e in events if isinstance(e.event, DecisionEvent)}
    return [
        e.event.id
        for e in events
        if isinstance(e.event, EscalationEvent) and e.event.status == "pending" and e.event.id not in decided
    ]


def sync_decisions(service: ThreadStates, store: TranscriptStore, thread: ThreadInfo) -> list[StoredEvent]:
    """Store decisions the thread has and the transcript lacks; returns the new events.

    Reads the thread only while an escalation of the thread is still waiting, so idle threads cost
    one small query.
    """
    waiting = awaiting(store, thread.id)
    if not waiting:
        return []
    state = service.state(thread.id)
    lines = [line for line in state.transcript if line.speaker == "care_team"]
    stored = len(store.events(thread.id, types=frozenset({"decision"})))
    still_pending = {ref.id for ref in state.pending}
    # Lines from before transcripts were typed carry no decision: name the items they must have decided.
    unnamed = [
        escalation_id
        for escalation_id in waiting
        if escalation_id not in still_pending and not any(line.delivers(escalation_id) for line in lines)
    ]
    added: list[StoredEvent] = []
    for index in range(stored, len(lines)):
        line = lines[index]
        decided = line.decision
        if decided is not None:
            event = DecisionEvent(
                escalation_id=decided.escalation_id,
                outcome=decided.outcome,
                clinician=decided.clinician,
                text=line.text,
            )
        else:
            escalation_id = unnamed.pop(0) if unnamed else None
            event = DecisionEvent(escalation_id=escalation_id, outcome="decided", text=line.text)
        saved = store.append(thread, event, dedupe_key=f"{thread.id}:decision:{index}")
        if saved is not None:
            added.append(saved)
    return added
