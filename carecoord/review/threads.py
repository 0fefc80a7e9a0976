"""What review needs from the patients' conversations, as protocols review owns and the agent implements.

Review sits above the agent but must not depend on the chat service (its embedder, index and reasoner):
a decision only has to know whether the thread still waits for it, deliver it, and — when an earlier
attempt already did — what the patient was told. `agent.threads.Threads` (and `ChatService.threads`)
satisfy both protocols.
"""

from __future__ import annotations

from typing import Protocol

from agent.models import Decision
from agent.transcript import TranscriptLine


class ThreadResumer(Protocol):
    """Resumes a patient's parked thread with a clinician's decision."""

    def is_waiting(self, thread_id: str, item_id: str | None = None) -> bool:
        """Whether the thread waits for a decision on `item_id` (None: whether it is parked at all)."""
        ...

    def deliver(self, patient_id: str, thread_id: str, decision: Decision) -> str:
        """Deliver the decision into the thread; returns the line the patient sees."""
        ...

    def delivered(self, thread_id: str, item_id: str) -> str | None:
        """The line the patient already got for `item_id`, if a decision on it was delivered."""
        ...


class TranscriptReader(Protocol):
    """Anything that can show a thread's transcript."""

    def transcript(self, thread_id: str) -> list[TranscriptLine] | None:
        """The thread's lines, or None when the thread is unknown."""
        ...
