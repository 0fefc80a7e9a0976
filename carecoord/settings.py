"""The one place that reads configuration; everything else receives values from here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_FHIR_URL = "http://127.0.0.1:8090/fhir"
DEMO_JWT_SECRET = "carecoord-demo-jwt-secret-do-not-use-in-production"
DEMO_TRANSCRIPT_KEY = "Y2FyZWNvb3JkLWRlbW8tdHJhbnNjcmlwdC1rZXktMzI="
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

    demo_mode: bool = False

    vector_cache_dir: Path | None = None
    """Where exemplar embeddings are cached; defaults to `data_dir/cache/vectors`."""

    # -- patient API (ui/api) ------------------------------------------------------------------
    jwt_secret: SecretStr | None = None
    """HS256 key of the patient tokens; unset means the demo secret in demo mode (refused elsewhere)."""
    jwt_issuer: str = "carecoord"
    jwt_ttl_s: int = 3600
    """Lifetime of a minted patient token."""
    transcript_keys: dict[str, SecretStr] = Field(default_factory=dict)
    """Transcript encryption keys: key id -> base64 AES key (16/24/32 bytes). Old ids stay for reading."""
    transcript_key_id: str = "demo"
    """The key id new transcript rows are encrypted with."""
    cors_origins: list[str] = Field(default_factory=list)
    """Origins allowed to call the API from a browser (the sites embedding the widget)."""
    redis_url: str | None = None
    """Rate-limit counters in Redis (shared by every worker); unset means in-process counters."""
    rate_limit_patient_per_min: int = 30
    """Sessions opened plus messages sent per patient per minute."""
    rate_limit_ip_per_min: int = 300
    """API requests per client IP per minute."""
    max_body_bytes: int = 16_384
    api_turn_threads: int = 4
    """Turns run concurrently per API worker process (ChatService is synchronous)."""
    metrics_dir: Path | None = None
    """Prometheus multiprocess folder, set by `carecoord serve --workers N`."""

    @model_validator(mode="after")
    def _demo_secrets_only_in_demo_mode(self) -> Settings:
        """Fill the API's demo secrets in demo mode; refuse them anywhere else."""
        if self.demo_mode:
            if self.jwt_secret is None:
                self.jwt_secret = SecretStr(DEMO_JWT_SECRET)
            if not self.transcript_keys:
                self.transcript_keys = {"demo": SecretStr(DEMO_TRANSCRIPT_KEY)}
            return self
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
    def sqlalchemy_url(self) -> str:
        """The database URL in effect: the configured one or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{self.data_dir / 'carecoord.sqlite3'}"

    @property
    def uses_default_sandbox(self) -> bool:
        """Whether the FHIR URL points at the sandbox this process may start itself."""
        return self.fhir_url.rstrip("/") == f"http://{self.sandbox_host}:{self.sandbox_port}/fhir"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for command-line and server edges; read once per process."""
    return Settings()
