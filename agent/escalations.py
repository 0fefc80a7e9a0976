"""What the agent hands to clinicians: escalation requests, and the sink that files them."""

from __future__ import annotations

from typing import Any, Protocol

from agent.models import Citation, EscalationKind, EscalationLevel, EscalationRef, Frozen, Grounding


class EscalationRequest(Frozen):
    """Everything a clinician needs to decide, filed once per turn and kind."""

    dedupe_key: str
    """Stable per thread, turn and kind: filing twice (a node re-run) returns the first item."""
    patient_id: str
    thread_id: str
    kind: EscalationKind
    level: EscalationLevel
    summary: str
    rationale: str
    question: str
    answer: str = ""
    citations: tuple[Citation, ...] = ()
    grounding: Grounding | None = None
    draft_kind: str | None = None
    draft_resource: dict[str, Any] | None = None
    """The proposed FHIR resource (raw JSON at the EHR boundary) for action approvals."""
    draft_identifier: str | None = None
    sla_minutes: int | None = None
    """Time to a decision from the policy's escalation table; None: the queue's default for the level."""


class EscalationSink(Protocol):
    """Where escalations go: the clinician review queue in production and tests alike."""

    def file(self, request: EscalationRequest) -> EscalationRef:
        """Store the request (idempotently) and return its queue reference."""
        ...
