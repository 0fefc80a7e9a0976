"""The notification parts without a database: relay URLs, signatures, message text, status summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carecoord.notify.alert import Alert
from carecoord.notify.email import EmailChannel, SmtpRelay
from carecoord.notify.status import summarize
from carecoord.notify.tables import Notification
from carecoord.notify.webhook import WebhookChannel, signature, verify
from carecoord.settings import Settings
from carecoord.wiring import dispatch_config, notify_channels

SENT_AT = datetime(2026, 12, 7, 5, 51, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "relay"),
    [
        ("smtp://127.0.0.1:2525", SmtpRelay("127.0.0.1", 2525)),
        ("smtp://mail.clinic.org", SmtpRelay("mail.clinic.org", 25)),
        ("smtps://u%40x:p%3Aw@mail.clinic.org", SmtpRelay("mail.clinic.org", 465, True, False, "u@x", "p:w")),
        ("smtp://mail.clinic.org:587?starttls=true", SmtpRelay("mail.clinic.org", 587, starttls=True)),
    ],
)
def test_relay_urls(url: str, relay: SmtpRelay) -> None:
    assert SmtpRelay.from_url(url) == relay


@pytest.mark.parametrize("url", ["http://mail.clinic.org", "smtp://", "mail.clinic.org:25"])
def test_a_relay_url_that_is_not_smtp_is_refused_naming_the_variable(url: str) -> None:
    with pytest.raises(ValueError, match="CARECOORD_SMTP_URL"):
        SmtpRelay.from_url(url)


def test_a_signature_verifies_only_for_the_same_secret_time_and_body() -> None:
    header = signature("s3cret", "1765000000", b'{"text":"x"}')
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify("s3cret", "1765000000", b'{"text":"x"}', header)
    assert not verify("other", "1765000000", b'{"text":"x"}', header)
    assert not verify("s3cret", "1765000001", b'{"text":"x"}', header)
    assert not verify("s3cret", "1765000000", b'{"text":"y"}', header)


def test_an_alert_says_level_item_and_link_and_marks_reminders() -> None:
    first = Alert("ntf-1", "esc-1", "urgent", 0, "http://console/item?item=esc-1")
    assert first.text == "[URGENT] CareCoord item esc-1 needs attention: http://console/item?item=esc-1"
    assert Alert("ntf-2", "esc-1", "urgent", 2, "l").subject.endswith("needs attention (reminder 2)")


def row(channel: str, round_: int, status: str, attempts: int, error: str | None = None) -> Notification:
    return Notification(
        id=f"ntf-{channel}-{round_}",
        item_id="esc-1",
        level="emergent",
        channel=channel,
        round=round_,
        status=status,
        attempts=attempts,
        sent_at=SENT_AT if status == "sent" else None,
        last_error=error,
    )


@pytest.mark.parametrize(
    ("rows", "shown"),
    [
        ([], "not sent"),
        ([row("webhook", 0, "queued", 0)], "queued"),
        ([row("webhook", 0, "queued", 3, "webhook answered 503")], "retrying (3 tries)"),
        ([row("webhook", 0, "sent", 1), row("email", 0, "sent", 2)], "sent 05:51 email+webhook"),
        ([row("webhook", 0, "sent", 1), row("webhook", 1, "sent", 1)], "sent 05:51 webhook ×2"),
        ([row("webhook", 0, "sent", 1), row("webhook", 1, "queued", 0)], "sent 05:51 webhook"),
        ([row("webhook", 0, "sent", 1), row("webhook", 1, "queued", 2, "down")], "retrying (3 tries)"),
        ([row("webhook", 0, "cancelled", 3)], "cancelled"),
    ],
)
def test_the_status_cell(rows: list[Notification], shown: str) -> None:
    status = summarize("emergent", rows)
    assert status is not None and status.shown() == shown


def test_routine_items_have_no_notification_status() -> None:
    assert summarize("routine", []) is None


def test_the_variables_the_issue_names_configure_the_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECOORD_NOTIFY_WEBHOOK_URL", "https://hooks.example.org/T1")
    monkeypatch.setenv("CARECOORD_NOTIFY_WEBHOOK_SECRET", "s3cret")
    monkeypatch.setenv("CARECOORD_SMTP_URL", "smtp://mail.clinic.org:2525")
    monkeypatch.setenv("CARECOORD_NOTIFY_EMAIL_TO", "oncall@clinic.org, backup@clinic.org")
    monkeypatch.setenv("CARECOORD_NOTIFY_REPEAT_MIN", "2.5")
    settings = Settings()
    webhook, email = notify_channels(settings)
    assert isinstance(webhook, WebhookChannel) and webhook.url == "https://hooks.example.org/T1"
    assert webhook.secret is not None and webhook.secret.get_secret_value() == "s3cret"
    assert isinstance(email, EmailChannel) and email.relay == SmtpRelay("mail.clinic.org", 2525)
    assert email.recipients == ("oncall@clinic.org", "backup@clinic.org")
    assert dispatch_config(settings).repeat == timedelta(minutes=2.5)


def test_defaults_notify_nobody_and_repeat_every_ten_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOTIFY_WEBHOOK_URL", "SMTP_URL", "NOTIFY_EMAIL_TO", "NOTIFY_REPEAT_MIN"):
        monkeypatch.delenv(f"CARECOORD_{name}", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert notify_channels(settings) == []
    assert dispatch_config(settings).repeat == timedelta(minutes=10)
    with pytest.raises(ValueError, match="notify_repeat_min"):
        Settings(_env_file=None, notify_repeat_min=0)  # type: ignore[call-arg]
