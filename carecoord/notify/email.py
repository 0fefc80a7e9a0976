"""The e-mail channel: one message per alert through an SMTP relay named by a URL.

`smtp://[user:password@]host[:port]` (port 25 by default), `smtps://…` for TLS from the start (465),
`?starttls=true` to upgrade a plain connection. The `Message-ID` is derived from the outbox row, so a
redelivery after a crash is recognisable as the same message.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from carecoord.notify.alert import Alert
from carecoord.notify.channels import DeliveryError


@dataclass(frozen=True)
class SmtpRelay:
    """Where and how to hand mail over."""

    host: str
    port: int
    tls: bool = False
    starttls: bool = False
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpRelay:
        """Parse `smtp://…` or `smtps://…`; raises `ValueError` for anything else."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"CARECOORD_SMTP_URL must be smtp://host[:port] or smtps://…, not {url!r}")
        tls = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            tls=tls,
            starttls=query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class EmailChannel:
    """Mails alerts to the on-call addresses."""

    name = "email"

    def __init__(self, relay: SmtpRelay, sender: str, recipients: tuple[str, ...], timeout_s: float = 10.0):
        self.relay = relay
        self.sender = sender
        self.recipients = recipients
        self.timeout_s = timeout_s

    def message(self, alert: Alert) -> EmailMessage:
        """The message: the alert's subject and text, nothing else."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Subject"] = alert.subject
        message["Message-ID"] = f"<{alert.notification_id}@carecoord>"
        message.set_content(alert.text + "\n")
        return message

    def send(self, alert: Alert) -> None:
        """Hand the message to the relay; a refused or unreachable relay is a `DeliveryError`."""
        relay = self.relay
        smtp_class = smtplib.SMTP_SSL if relay.tls else smtplib.SMTP
        try:
            with smtp_class(relay.host, relay.port, timeout=self.timeout_s) as smtp:
                if relay.starttls:
                    smtp.starttls()
                if relay.user:
                    smtp.login(relay.user, relay.password or "")
                smtp.send_message(self.message(alert), self.sender, list(self.recipients))
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"smtp relay failed: {type(exc).__name__}") from exc
