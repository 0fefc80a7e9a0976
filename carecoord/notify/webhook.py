"""The webhook channel: a JSON POST with a Slack-compatible `text`, optionally HMAC-signed.

Signature: `X-CareCoord-Signature: sha256=<hex>` over `<timestamp>.<body>` with the shared secret, and
the timestamp in `X-CareCoord-Timestamp` (a receiver refuses stale ones). `Idempotency-Key` is the outbox
row's id: a redelivery after a crash between sending and recording carries the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
from pydantic import SecretStr

from carecoord.notify.alert import Alert
from carecoord.notify.channels import DeliveryError

SIGNATURE_HEADER = "X-CareCoord-Signature"
TIMESTAMP_HEADER = "X-CareCoord-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of `<timestamp>.<body>` under `secret`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """Whether `header` is the signature of `body` at `timestamp` (constant-time compare)."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


class WebhookChannel:
    """Posts alerts to one URL."""

    name = "webhook"

    def __init__(self, url: str, secret: SecretStr | None = None, timeout_s: float = 5.0) -> None:
        self.url = url
        self.secret = secret
        self.timeout_s = timeout_s

    def body(self, alert: Alert) -> bytes:
        """The JSON body: Slack reads `text`; other receivers get the same facts as fields."""
        payload = {
            "text": alert.text,
            "item": alert.item_id,
            "level": alert.level,
            "link": alert.link,
            "round": alert.round,
        }
        return json.dumps(payload, separators=(",", ":")).encode()

    def send(self, alert: Alert) -> None:
        """POST the alert; any answer but 2xx, or no answer, is a `DeliveryError`."""
        body = self.body(alert)
        headers = {"Content-Type": "application/json", "Idempotency-Key": alert.notification_id}
        if self.secret is not None:
            stamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = stamp
            headers[SIGNATURE_HEADER] = signature(self.secret.get_secret_value(), stamp, body)
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook unreachable: {type(exc).__name__}") from exc
        if not response.is_success:
            raise DeliveryError(f"webhook answered {response.status_code}")
