"""Where the agent records what it did: a narrow protocol the app's hash-chained audit log implements.

The agent owns the protocol and the app implements it, so the agent never imports the app's services.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class AuditTrail(Protocol):
    """Appends one entry per FHIR tool call and per answer."""

    def append(
        self,
        actor: str,
        action: str,
        subjects: Sequence[str],
        payload: bytes | str,
        reasoner: str = "",
        input_hash: str = "",
    ) -> object:
        """Add an entry (the payload is stored only as its hash)."""
        ...
