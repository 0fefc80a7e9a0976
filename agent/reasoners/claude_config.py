"""What every Claude call needs to know (key, endpoint, model, patience), built from settings at the edge."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr


@dataclass(frozen=True)
class ClaudeConfig:
    """What the Claude reasoner needs to know: key, endpoint, model and its patience."""

    api_key: SecretStr | None
    """Without a key every call fails into the fallback reasoner."""
    model: str = "claude-sonnet-4-5"
    base_url: str | None = None
    timeout_s: float = 30.0
    max_retries: int = 3
    """Attempts per call (the first one included) before the fallback answers."""
