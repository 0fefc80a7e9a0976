"""The delivery channels' common shape."""

from __future__ import annotations

from typing import Protocol

from carecoord.notify.alert import Alert


class DeliveryError(Exception):
    """The receiver did not accept the message (down, refused, timed out); the outbox retries later."""


class Channel(Protocol):
    """Somewhere a notification is delivered: a webhook, an e-mail relay."""

    name: str
    """Stored on each outbox row: `webhook`, `email`."""

    def send(self, alert: Alert) -> None:
        """Deliver `alert` once; raise `DeliveryError` when the receiver did not take it."""
        ...
