"""`agent.threads.Threads` as review sees it (`ThreadResumer`): waiting, delivering, what was delivered.

Runs the real graph over LangGraph's in-memory checkpointer with the real serializer; a thread is parked
in `wait` the way `respond` leaves it, so nothing here needs the embedder, the index or a FHIR server.
"""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver

from agent.checkpoints import state_serde
from agent.models import Decision, EscalationRef
from agent.threads import DURABILITY, Threads
from agent.transcript import TranscriptLine
from carecoord.review.threads import ThreadResumer, TranscriptReader
from tests.fixtures.agent import session_keyring

REFILL = EscalationRef(id="esc-1", level="routine", kind="action_approval", status="pending")
QUESTION = EscalationRef(id="esc-2", level="routine", kind="clinical_question", status="pending")


def parked(transcript: list[object], pending: list[EscalationRef]) -> Threads:
    """A thread `t1` that answered and now waits in `wait` for `pending`."""
    threads = Threads(InMemorySaver(serde=state_serde(session_keyring())))
    config = Threads.config("t1")
    threads.graph.update_state(config, {"transcript": transcript, "pending": pending}, as_node="respond")
    threads.graph.invoke(None, config, durability=DURABILITY)  # runs `wait`, which interrupts
    return threads


def decision(escalation_id: str, outcome: str = "approved") -> Decision:
    return Decision.model_validate(
        {
            "escalation_id": escalation_id,
            "outcome": outcome,
            "clinician": "Dr. Lee",
            "action_summary": "Refill",
        }
    )


def test_threads_implement_the_protocols_review_owns() -> None:
    threads = parked([], [REFILL])
    resumer: ThreadResumer = threads
    reader: TranscriptReader = threads
    assert resumer.is_waiting("t1") and reader.transcript("unknown") is None


def test_a_decision_is_delivered_once_as_a_typed_care_team_line() -> None:
    asked = [
        TranscriptLine(speaker="patient", text="Refill?"),
        TranscriptLine(speaker="assistant", text="Sent."),
    ]
    threads = parked(asked, [REFILL, QUESTION])
    assert (
        threads.is_waiting("t1") and threads.is_waiting("t1", "esc-1") and threads.is_waiting("t1", "esc-2")
    )
    assert threads.delivered("t1", "esc-1") is None

    said = threads.deliver("p1", "t1", decision("esc-1"))

    assert said.startswith("Your care team (Dr. Lee) approved: Refill")
    lines = threads.transcript("t1")
    assert lines is not None and lines[:2] == asked
    assert lines[-1] == TranscriptLine(speaker="care_team", text=said, decision=decision("esc-1"))
    assert lines[-1].shown() == f"care team: {said}"
    assert not threads.is_waiting("t1", "esc-1") and threads.is_waiting("t1", "esc-2")
    assert threads.delivered("t1", "esc-1") == said and threads.delivered("t1", "esc-2") is None
    assert threads.is_waiting("t1"), "still parked for the question"


def test_a_thread_from_before_typed_lines_keeps_its_history_and_takes_decisions() -> None:
    threads = parked(["patient: Refill?", "assistant: Sent.", "care team: Earlier answer."], [REFILL])
    lines = threads.transcript("t1")
    assert lines is not None
    assert [(line.speaker, line.text) for line in lines] == [
        ("patient", "Refill?"),
        ("assistant", "Sent."),
        ("care_team", "Earlier answer."),
    ]
    said = threads.deliver("p1", "t1", decision("esc-1", "rejected"))
    after = threads.transcript("t1")
    assert after is not None and after[-1].delivers("esc-1") and after[-1].text == said
    assert threads.delivered("t1", "esc-1") == said
    assert not threads.is_waiting("t1")
