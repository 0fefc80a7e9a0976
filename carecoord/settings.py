"""The one place that reads configuration; everything else receives values from here."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_FHIR_URL = "http://127.0.0.1:8090/fhir"
DEMO_JWT_SECRET = "carecoord-demo-jwt-secret-do-not-use-in-production"
DEMO_TRANSCRIPT_KEY = "Y2FyZWNvb3JkLWRlbW8tdHJhbnNjcmlwdC1rZXktMzI="
DEMO_AUDIT_KEY = "carecoord-demo-audit-key-do-not-use-in-production"
"""Placeholders that make demo mode work out of the box; the validator refuses them elsewhere."""


class Settings(BaseSettings):
    """Runtime configuration, from `CARECOORD_*` variables or `.env`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_prefix="CARECOORD_", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Path(".carecoord")
    """Where embedded stores live (sandbox database, Chroma index, checkpoints)."""

    fhir_url: str = DEFAULT_FHIR_URL
    """Base URL of the FHIR R4 server the agent reads from and writes approved drafts to."""

    fhir_timeout_s: float = 10.0
    fhir_retries: int = 3
    fhir_turn_budget_s: float = Field(default=10.0, gt=0)
    """Seconds one turn may spend on FHIR calls in all (retries included); then the turn answers that it
    cannot reach the record and escalates, instead of holding the patient while a frozen EHR times out."""

    refill_repeats: int = Field(default=0, ge=0, le=11)
    """Clinic policy: refills (`numberOfRepeatsAllowed`) on an approved refill order, unless the approving
    clinician sets another number (`carecoord/review/contracts.md`)."""

    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8090

    chroma_url: str | None = None
    """A `chroma run` server URL; unset means an embedded index under `data_dir`."""

    chroma_collection: str = "carecoord-knowledge"

    database_url: str | None = None
    """SQLAlchemy URL; unset means SQLite under `data_dir`. A PostgreSQL URL switches every store."""

    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, validation_alias="ANTHROPIC_BASE_URL")
    claude_model: str = "claude-sonnet-4-5"
    claude_timeout_s: float = 30.0
    claude_max_retries: int = 3
    """Attempts per Claude call (the first one included) before the offline fallback answers."""
    claude_cooldown_s: float = 30.0
    """After a Claude call fails, this process answers offline for this long before trying Claude again."""

    reasoner: Literal["auto", "offline", "claude"] = "auto"
    """`auto` uses Claude when a key is set, else the offline reasoner."""
    verifier_judge: bool = True
    """When Claude reasons, Claude also judges entailment of the sentences it wrote that the offline
    verifier passed (the gate's second stage); false keeps the offline stage only."""

    demo_mode: bool = False

    now: datetime | None = None
    """A fixed "now" (ISO 8601) for reproducible evals and demos; unset = the wall clock. A naive value is
    read in `timezone`."""
    timezone: str = "UTC"
    """The clinic's IANA timezone: "today", time windows, ages, slots and due times are computed in it."""

    vector_cache_dir: Path | None = None
    """Where exemplar embeddings are cached; defaults to `data_dir/cache/vectors`."""

    # -- patient API (ui/api) ------------------------------------------------------------------
    jwt_secret: SecretStr | None = None
    """HS256 key of the patient tokens; unset means the demo secret in demo mode (refused elsewhere)."""
    jwt_issuer: str = "carecoord"
    jwt_ttl_s: int = 3600
    """Lifetime of a minted patient token."""
    token_max_lifetime_s: int = Field(default=86_400, gt=0)
    """Longest lifetime (`exp - iat`) the API accepts; a longer-lived token is refused."""
    transcript_keys: dict[str, SecretStr] = Field(default_factory=dict)
    """Transcript encryption keys: key id -> base64 AES key (16/24/32 bytes). Old ids stay for reading."""
    transcript_key_id: str = "demo"
    """The key id new transcript rows are encrypted with."""
    cors_origins: list[str] = Field(default_factory=list)
    """Origins allowed to call the API from a browser (the sites embedding the widget)."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Proxy addresses whose `X-Forwarded-For` is believed (JSON list); none by default, so a client
    cannot pick its own address for the per-IP limit."""
    redis_url: str | None = None
    """Rate-limit counters and stream wake-ups in Redis (shared by every worker); unset means in-process
    counters, and wake-ups over PostgreSQL NOTIFY (a PostgreSQL database) or in-process only."""
    stream_fallback_poll_s: float = Field(default=5.0, gt=0)
    """How often an event stream re-reads the store without a wake-up: the safety net for a lost one
    (and how a decision made in another process reaches a stream when no shared channel is set up)."""
    rate_limit_patient_per_min: int = 30
    """Sessions opened plus messages sent per patient per minute."""
    rate_limit_ip_per_min: int = 300
    """API requests per client IP per minute."""
    require_mfa: bool = False
    console_session_secret: SecretStr | None = None
    """HMAC key of the console's session cookie (keeps a sign-in across a browser refresh); unset means a
    random key per console process (sessions then end when it restarts). Share it across console replicas."""
    console_session_hours: float = Field(default=8.0, gt=0)
    """How long a console sign-in lasts before the clinician signs in again."""
    """Clinicians and admins must have enrolled a TOTP authenticator to sign in (console and CLI)."""
    audit_key: SecretStr | None = None
    """HMAC-SHA256 key of the audit chain, kept outside the database; unset means an unkeyed chain (the
    demo key in demo mode, refused elsewhere)."""
    audit_retired_keys: list[SecretStr] = Field(default_factory=list)
    """Earlier audit keys, kept after a rotation so the entries they MACed still verify."""
    audit_anchor_path: Path | None = None
    """Append-only file of signed chain heads; defaults to `data_dir/audit-anchors.jsonl`."""
    audit_anchor_interval_min: float = 15.0
    """The API and the console anchor the chain head this often."""
    max_body_bytes: int = 16_384
    api_turn_threads: int = 4
    """Turns run concurrently per API worker process (ChatService is synchronous)."""
    metrics_dir: Path | None = None
    """Prometheus multiprocess folder, set by `carecoord serve --workers N`."""

    # -- notifications to the on-call care team (carecoord/notify) --------------------------------
    notify_webhook_url: str | None = None
    """Emergent and urgent items are posted here (JSON with a Slack-compatible `text`); unset = no webhook."""
    notify_webhook_secret: SecretStr | None = None
    """Signs each webhook body (HMAC-SHA256 in `X-CareCoord-Signature`); unset = unsigned."""
    smtp_url: str | None = None
    """`smtp://[user:password@]host[:port]` (`smtps://` for TLS, `?starttls=true`); unset = no e-mail."""
    notify_email_to: str | None = None
    """Comma-separated addresses of the on-call care team."""
    notify_email_from: str = "carecoord@localhost"
    notify_repeat_min: float = Field(default=10.0, gt=0)
    """An unacknowledged item is notified again this many minutes after its last delivery."""
    notify_poll_s: float = Field(default=5.0, gt=0)
    """How often each process's dispatcher looks for notifications to send."""
    console_url: str = "http://127.0.0.1:8501"
    """The clinician console, for the item link in notifications (the only detail they carry)."""

    @field_validator("now", mode="before")
    @classmethod
    def _blank_now_is_wall_clock(cls, value: object) -> object:
        """`CARECOORD_NOW=` (blank, as in `.env.example`) means the wall clock."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("audit_key", "audit_anchor_path", "console_session_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`CARECOORD_AUDIT_KEY=` (blank, as in `.env.example`) means no key; a blank path the default."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        """Refuse a timezone name the IANA database does not know, naming the variable."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"CARECOORD_TIMEZONE={value!r} is not an IANA timezone (e.g. UTC, America/New_York)"
            ) from exc
        return value

    @model_validator(mode="after")
    def _now_in_clinic_timezone(self) -> Settings:
        """A naive CARECOORD_NOW is clinic-local time; an aware one is converted to the clinic's zone."""
        if self.now is not None:
            zone = ZoneInfo(self.timezone)
            self.now = self.now.replace(tzinfo=zone) if self.now.tzinfo is None else self.now.astimezone(zone)
        return self

    @field_validator("console_session_secret")
    @classmethod
    def _long_session_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """An HMAC key short enough to guess would let anyone forge a clinician's session."""
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("CARECOORD_CONSOLE_SESSION_SECRET must be at least 32 bytes")
        return value

    @model_validator(mode="after")
    def _minted_tokens_are_accepted(self) -> Settings:
        """A default token lifetime over the maximum would mint tokens the API refuses."""
        if self.jwt_ttl_s > self.token_max_lifetime_s:
            raise ValueError(
                f"CARECOORD_JWT_TTL_S={self.jwt_ttl_s} exceeds CARECOORD_TOKEN_MAX_LIFETIME_S="
                f"{self.token_max_lifetime_s}: the API would refuse the tokens it mints"
            )
        return self

    @model_validator(mode="after")
    def _demo_secrets_only_in_demo_mode(self) -> Settings:
        """Fill the API's demo secrets in demo mode; refuse them anywhere else."""
        if self.demo_mode:
            if self.jwt_secret is None:
                self.jwt_secret = SecretStr(DEMO_JWT_SECRET)
            if not self.transcript_keys:
                self.transcript_keys = {"demo": SecretStr(DEMO_TRANSCRIPT_KEY)}
            if self.audit_key is None:
                self.audit_key = SecretStr(DEMO_AUDIT_KEY)
            return self
        if self.audit_key is not None and self.audit_key.get_secret_value() == DEMO_AUDIT_KEY:
            raise ValueError("CARECOORD_AUDIT_KEY is the demo key; set a real one outside demo mode")
        if self.jwt_secret is not None and self.jwt_secret.get_secret_value() == DEMO_JWT_SECRET:
            raise ValueError("CARECOORD_JWT_SECRET is the demo secret; set a real one outside demo mode")
        if any(key.get_secret_value() == DEMO_TRANSCRIPT_KEY for key in self.transcript_keys.values()):
            raise ValueError("CARECOORD_TRANSCRIPT_KEYS holds the demo key; set real keys outside demo mode")
        return self

    @property
    def sandbox_db_path(self) -> Path:
        """SQLite file backing the sandbox FHIR server."""
        return self.data_dir / "sandbox" / "fhir.sqlite3"

    @property
    def chroma_path(self) -> Path:
        """Folder of the embedded Chroma index."""
        return self.data_dir / "chroma"

    @property
    def vectors_cache(self) -> Path:
        """Folder of cached exemplar embeddings."""
        return self.vector_cache_dir or self.data_dir / "cache" / "vectors"

    @property
    def audit_anchors(self) -> Path:
        """The anchor file in effect."""
        return self.audit_anchor_path or self.data_dir / "audit-anchors.jsonl"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL in effect: the configured one or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{self.data_dir / 'carecoord.sqlite3'}"

    def in_demo_mode(self) -> Settings:
        """These settings in demo mode, validated again so the demo secrets fill what is unset.

        `carecoord up --demo` needs them in its own process too (schema, index, demo clinician), not
        only in the API and console it starts.
        """
        if self.demo_mode:
            return self
        return type(self).model_validate({**self.model_dump(), "demo_mode": True})

    @property
    def uses_default_sandbox(self) -> bool:
        """Whether the FHIR URL points at the sandbox this process may start itself."""
        return self.fhir_url.rstrip("/") == f"http://{self.sandbox_host}:{self.sandbox_port}/fhir"


DEMO_MARKER = "demo-mode"
"""A file in the data dir that `carecoord up --demo` leaves: the stores in it are sealed with the demo keys."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for command-line and server edges; read once per process.

    On a data dir that `carecoord up --demo` created, every command runs in demo mode too, so the
    README's `carecoord chat` and `review` commands open the demo's sealed stores after `make demo`.
    """
    settings = Settings()
    if not settings.demo_mode and (settings.data_dir / DEMO_MARKER).is_file():
        return settings.in_demo_mode()
    return settings
