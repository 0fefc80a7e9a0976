"""The `carecoord chat --json` contract (also the API's answer payload)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from agent.models import EscalationKind, EscalationLevel, EscalationStatus


class CitationOut(BaseModel):
    """A numbered source of the answer."""

    n: int
    kind: Literal["knowledge", "fhir"]
    id: str
    title: str
    quote: str
    values: str = ""
    """For a record source: the resource's key values as the EHR holds them (empty for knowledge)."""


class EscalationOut(BaseModel):
    """The escalation this turn created, if any."""

    id: str
    level: EscalationLevel
    kind: EscalationKind
    status: EscalationStatus


class GroundingOut(BaseModel):
    """Verifier tally: claim sentences, supported, removed."""

    sentences: int
    supported: int
    removed: int


class ToolOut(BaseModel):
    """One tool call of the turn."""

    name: str
    args: dict[str, Any]
    ok: bool
    ms: float


class ChatResult(BaseModel):
    """Exactly the fields of the contract, in its order."""

    thread_id: str
    answer: str
    citations: list[CitationOut]
    escalation: EscalationOut | None
    grounding: GroundingOut
    tools: list[ToolOut]
    reasoner: str
    ms: float
