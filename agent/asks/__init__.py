"""Typed asks: what each part of a patient message wants, read from the language layer's analysis."""

from agent.asks.models import Ask, AskKind, RequestKind
from agent.asks.understand import understand

__all__ = ["Ask", "AskKind", "RequestKind", "understand"]
