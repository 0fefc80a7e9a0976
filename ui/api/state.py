"""What one API process holds: settings and the services built from them at startup."""

from __future__ import annotations

from dataclasses import dataclass

from agent.service import ChatService
from carecoord.revocations import RevocationList
from carecoord.settings import Settings
from carecoord.wakeups.base import Wakeups
from tools.fhir import FhirGateway
from ui.api.auth import TokenService
from ui.api.limits import RateLimiter
from ui.api.metrics import ApiMetrics
from ui.api.store import TranscriptStore
from ui.api.turns import TurnRunner


@dataclass
class ApiState:
    """The services the routes use, built once by the app's lifespan."""

    settings: Settings
    service: ChatService
    gateway: FhirGateway
    """The process's one FHIR gateway (the chat service's); readiness probes through it."""
    store: TranscriptStore
    tokens: TokenService
    revocations: RevocationList
    """Revoked token ids, shared by every process through the database."""
    limiter: RateLimiter
    metrics: ApiMetrics
    wakeups: Wakeups
    """Wakes the event streams of a thread in every worker sharing the channel."""
    turns: TurnRunner
