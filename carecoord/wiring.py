"""The composition root: the one module that turns `Settings` into services.

Edges — the CLI commands, the API's lifespan, the console's cached resource, the eval runners — open a
`Services` for their settings and ask it for what they need. Each service is built on first use and
once per `Services`: one FHIR gateway, one embedder, one database engine with its review stores, one
checkpointer, one chat service, one review service. Components receive small typed configs
(`IndexConfig`, `ClaudeConfig`, a URL and a timeout) or the services themselves, never `Settings`.

Laziness is the point as much as sharing: `carecoord review list` opens the database and nothing else;
a decision resumes the patient's thread through the checkpointer alone; only a chat turn loads the
embedding model and the index.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy import Engine

from agent.checkpoints import open_checkpointer
from agent.escalations import EscalationSink
from agent.models import Decision
from agent.reasoners.claude_config import ClaudeConfig
from agent.service import AgentServices, ChatService
from agent.threads import Threads
from agent.transcript import TranscriptLine
from carecoord.audit import AuditLog
from carecoord.audit_anchor import Anchorer, append, sign
from carecoord.audit_keys import AuditKeys
from carecoord.data_dir import secure_data_dir
from carecoord.db import make_engine
from carecoord.keyring import TranscriptCipher
from carecoord.login_throttle import LoginThrottle
from carecoord.migrations import migrate
from carecoord.notify.channels import Channel
from carecoord.notify.dispatcher import DispatchConfig, Dispatcher
from carecoord.notify.email import EmailChannel, SmtpRelay
from carecoord.notify.outbox import Outbox
from carecoord.notify.webhook import WebhookChannel
from carecoord.review.alerts import QueueAlerts
from carecoord.review.contracts import ApprovalPolicy
from carecoord.review.queue import ReviewQueue
from carecoord.review.service import ReviewService
from carecoord.review.tasks import TaskMirror
from carecoord.revocations import RevocationList
from carecoord.settings import Settings
from carecoord.sign_in import SignIn
from carecoord.users import UserStore
from carecoord.wakeups.base import LocalWakeups, Wakeups
from carecoord.wakeups.postgres import PostgresWakeups
from carecoord.wakeups.redis import RedisWakeups
from tools.clock import Clock
from tools.fhir import FhirGateway

if TYPE_CHECKING:  # Chroma and the embedding model load when a turn or an ingest needs them, not before
    from knowledge.embedder import Embedder
    from knowledge.index import IndexConfig, KnowledgeIndex

__all__ = [
    "ReviewStores",
    "Services",
    "build_agent_services",
    "claude_config",
    "create_schema",
    "anchor_audit",
    "audit_keys",
    "dispatch_config",
    "fhir_gateway",
    "index_config",
    "open_review_service",
    "open_review_stores",
    "notify_channels",
    "open_services",
    "phi_keyring",
    "transcript_cipher",
]


# -- settings → small typed configs ------------------------------------------------------------------
def transcript_cipher(settings: Settings) -> TranscriptCipher:
    """The PHI keyring from `transcript_keys` (base64) with `transcript_key_id` active; raises if unset."""
    keys = {key_id: secret.get_secret_value() for key_id, secret in settings.transcript_keys.items()}
    return TranscriptCipher.from_base64(keys, settings.transcript_key_id)


def audit_keys(settings: Settings) -> AuditKeys:
    """The audit chain's HMAC keys (active and retired) from the settings."""
    active = settings.audit_key.get_secret_value().encode() if settings.audit_key else None
    retired = tuple(key.get_secret_value().encode() for key in settings.audit_retired_keys)
    return AuditKeys(active=active, retired=retired)


def phi_keyring(settings: Settings) -> TranscriptCipher | None:
    """The PHI keyring when keys are configured (a process without keys can still list and audit)."""
    return transcript_cipher(settings) if settings.transcript_keys else None


def fhir_gateway(settings: Settings) -> FhirGateway:
    """A gateway to the configured FHIR server (`Services.gateway` is the process's one)."""
    return FhirGateway(settings.fhir_url, settings.fhir_timeout_s, settings.fhir_retries)


def index_config(settings: Settings) -> IndexConfig:
    """Where the knowledge index lives."""
    from knowledge.index import IndexConfig

    return IndexConfig(
        path=settings.chroma_path, chroma_url=settings.chroma_url, collection=settings.chroma_collection
    )


def claude_config(settings: Settings) -> ClaudeConfig:
    """What the Claude reasoner needs."""
    return ClaudeConfig(
        api_key=settings.anthropic_api_key,
        model=settings.claude_model,
        base_url=settings.anthropic_base_url,
        timeout_s=settings.claude_timeout_s,
        max_retries=settings.claude_max_retries,
    )


def notify_channels(settings: Settings) -> list[Channel]:
    """The configured notification channels: a webhook, e-mail, both or none."""
    channels: list[Channel] = []
    if settings.notify_webhook_url:
        channels.append(WebhookChannel(settings.notify_webhook_url, settings.notify_webhook_secret))
    recipients = tuple(a.strip() for a in (settings.notify_email_to or "").split(",") if a.strip())
    if settings.smtp_url and recipients:
        relay = SmtpRelay.from_url(settings.smtp_url)
        channels.append(EmailChannel(relay, settings.notify_email_from, recipients))
    return channels


def wakeups(settings: Settings) -> Wakeups:
    """The streams' wake-up channel: Redis when configured, else PostgreSQL's NOTIFY, else in-process."""
    if settings.redis_url:
        return RedisWakeups(settings.redis_url)
    if settings.database_url and settings.sqlalchemy_url.startswith("postgresql"):
        return PostgresWakeups(settings.sqlalchemy_url)
    return LocalWakeups()


def dispatch_config(settings: Settings) -> DispatchConfig:
    """The dispatcher's timing and the console link."""
    return DispatchConfig(
        console_url=settings.console_url,
        repeat=timedelta(minutes=settings.notify_repeat_min),
        poll_s=settings.notify_poll_s,
    )


def build_agent_services(
    settings: Settings,
    escalations: EscalationSink,
    gateway: FhirGateway,
    embedder: Embedder,
    reasoner: str | None = None,
) -> AgentServices:
    """The agent's expensive parts for `settings` (the reasoner can be forced: offline|claude)."""
    from agent.grounding.judge import EntailmentJudge
    from agent.grounding.verifier import Verifier
    from agent.intents import IntentClassifier
    from agent.policy import Policy, SafetyScreen
    from agent.reasoners.base import Reasoner
    from agent.reasoners.breaker import CircuitBreaker
    from agent.reasoners.offline import OfflineReasoner
    from knowledge.index import KnowledgeIndex
    from knowledge.retriever import HybridRetriever
    from knowledge.vector_cache import CachedEmbedder

    cached = CachedEmbedder(embedder, settings.vectors_cache)
    classifier = IntentClassifier(cached)
    screen = SafetyScreen(Policy.load(), cached, ordinary=classifier.exemplars)
    offline = OfflineReasoner(classifier, cached)
    choice = reasoner or settings.reasoner
    primary: Reasoner = offline
    fallback: Reasoner | None = None
    version = ""
    judge: EntailmentJudge | None = None
    if choice == "claude" or (choice == "auto" and settings.anthropic_api_key is not None):
        from agent.reasoners.claude import ClaudeReasoner
        from agent.reasoners.claude_judge import ClaudeJudge

        claude = ClaudeReasoner.from_config(claude_config(settings))
        primary, fallback = claude, offline
        version = f"claude:{settings.claude_model}"
        if settings.verifier_judge and settings.anthropic_api_key is not None:
            judge = ClaudeJudge.from_config(claude_config(settings), usage=claude.usage)
    services = AgentServices(
        embedder=embedder,
        screen=screen,
        reasoner=primary,
        fallback=fallback,
        retriever=HybridRetriever(KnowledgeIndex.open(index_config(settings), embedder), embedder),
        verifier=Verifier(),
        escalations=escalations,
        gateway=gateway,
        breaker=CircuitBreaker(settings.claude_cooldown_s) if fallback is not None else None,
        reasoner_version=version,
        judge=judge,
        clock=Clock(settings.timezone, settings.now),
        fhir_budget_s=settings.fhir_turn_budget_s,
    )
    screen.warm()
    offline.classifier.warm()
    return services


# -- the process's services --------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewStores:
    """The shared stores over one database: queue (with its Task mirror), audit log, users."""

    engine: Engine
    queue: ReviewQueue
    audit: AuditLog
    users: UserStore


class _Threads:
    """The process's threads, resolved on first use.

    The chat service's when there is one (a resumed step then runs with the patient's services bound),
    else a checkpointer-only `Threads`. This is review's `ThreadResumer` and `TranscriptReader`, handed
    to the queue and the review service before anyone knows whether this process will chat.
    """

    def __init__(self, services: Services) -> None:
        self._services = services

    def _threads(self) -> Threads:
        return self._services.threads

    def is_waiting(self, thread_id: str, item_id: str | None = None) -> bool:
        """See `ThreadResumer.is_waiting`."""
        return self._threads().is_waiting(thread_id, item_id)

    def deliver(self, patient_id: str, thread_id: str, decision: Decision) -> str:
        """See `ThreadResumer.deliver`; wakes the thread's streams in every worker that shares the channel."""
        said = self._threads().deliver(patient_id, thread_id, decision)
        self._services.wakeups.publish(thread_id, "decision")
        return said

    def delivered(self, thread_id: str, item_id: str) -> str | None:
        """See `ThreadResumer.delivered`."""
        return self._threads().delivered(thread_id, item_id)

    def transcript(self, thread_id: str) -> list[TranscriptLine] | None:
        """See `TranscriptReader.transcript`."""
        return self._threads().transcript(thread_id)


class Services:
    """Everything one process builds from its settings, each part at most once and only when asked."""

    def __init__(self, settings: Settings, stack: ExitStack) -> None:
        self.settings = settings
        self._stack = stack
        self._chat: ChatService | None = None
        self._chat_reasoner: str | None = None
        self._threads = _Threads(self)

    @cached_property
    def gateway(self) -> FhirGateway:
        """The process's one FHIR gateway (chat, Task mirror, approved writes, readiness, console)."""
        return fhir_gateway(self.settings)

    @cached_property
    def embedder(self) -> Embedder:
        """The process's one embedding model."""
        from knowledge.embedder import load_embedder

        return load_embedder()

    @cached_property
    def engine(self) -> Engine:
        """The database engine of the review queue, audit log and users (migrated on open)."""
        engine = make_engine(self.settings.sqlalchemy_url, phi_keyring(self.settings))
        self._stack.callback(engine.dispose)
        return engine

    @cached_property
    def audit(self) -> AuditLog:
        """The hash-chained audit log (HMAC-keyed when `audit_key` is set)."""
        return AuditLog(self.engine, audit_keys(self.settings))

    def anchor_audit(self) -> tuple[int, str]:
        """Append the signed chain head to the anchor file; returns the anchored (seq, hash)."""
        return anchor_audit(self.settings, self.audit)

    def start_anchoring(self) -> Anchorer | None:
        """Anchor every `audit_anchor_interval_min` until the services close (needs the audit key)."""
        if self.settings.audit_key is None:
            return None
        anchorer = Anchorer(self.anchor_audit, self.settings.audit_anchor_interval_min * 60).start()
        self._stack.callback(anchorer.stop)
        return anchorer

    @cached_property
    def wakeups(self) -> Wakeups:
        """The channel that wakes event streams (this process's API, or another's) when a thread changes."""
        channel = wakeups(self.settings)
        self._stack.callback(channel.close)
        return channel

    @cached_property
    def revocations(self) -> RevocationList:
        """Revoked patient-token ids and console sessions (each revocation audited)."""
        return RevocationList(self.engine, self.audit)

    @cached_property
    def users(self) -> UserStore:
        """Clinician and admin accounts."""
        return UserStore(self.engine)

    @cached_property
    def sign_in(self) -> SignIn:
        """The clinicians' sign-in (throttled, TOTP when enrolled or required, audited)."""
        return SignIn(self.users, self.audit, LoginThrottle(self.engine), self.settings.require_mfa)

    @cached_property
    def stores(self) -> ReviewStores:
        """The review queue (mirrored as FHIR Tasks), audit log and users."""
        queue = ReviewQueue(
            self.engine, tasks=TaskMirror(self.gateway), audit=self.audit, transcripts=self._threads
        )
        return ReviewStores(engine=self.engine, queue=queue, audit=self.audit, users=self.users)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        """Delivers notifications of emergent and urgent items (the API runs it on a background thread)."""
        return Dispatcher(
            outbox=Outbox(self.engine),
            source=QueueAlerts(self.engine),
            channels=notify_channels(self.settings),
            audit=self.audit,
            config=dispatch_config(self.settings),
        )

    @cached_property
    def checkpointer(self) -> BaseCheckpointSaver[str]:
        """LangGraph's checkpointer (SQLite under the data dir, or the configured PostgreSQL)."""
        return self._stack.enter_context(
            open_checkpointer(
                self.settings.database_url, self.settings.data_dir, transcript_cipher(self.settings)
            )
        )

    @property
    def threads(self) -> Threads:
        """The persisted threads: the chat service's when this process chats, else checkpoint-only."""
        if self._chat is not None:
            return self._chat.threads
        return self._plain_threads

    @cached_property
    def _plain_threads(self) -> Threads:
        return Threads(self.checkpointer)

    @cached_property
    def index(self) -> KnowledgeIndex:
        """The knowledge index, with the process's embedder."""
        from knowledge.index import KnowledgeIndex

        return KnowledgeIndex.open(index_config(self.settings), self.embedder)

    def chat(self, reasoner: str | None = None) -> ChatService:
        """The process's one chat service (the reasoner can be forced: offline|claude)."""
        if self._chat is None:
            stores = self.stores
            agent = build_agent_services(self.settings, stores.queue, self.gateway, self.embedder, reasoner)
            self._chat = ChatService(agent, self.checkpointer, audit=stores.audit)
            self._chat_reasoner = reasoner
        elif reasoner != self._chat_reasoner:
            raise ValueError(
                f"this process already chats with reasoner {self._chat_reasoner or 'auto'}, not {reasoner}"
            )
        return self._chat

    @cached_property
    def review(self) -> ReviewService:
        """Clinicians' decisions; they resume patients' threads through `ThreadResumer`."""
        stores = self.stores
        return ReviewService(
            stores.queue,
            stores.audit,
            stores.users,
            self.gateway,
            self._threads,
            stores.queue.tasks,
            ApprovalPolicy(refill_repeats=self.settings.refill_repeats),
        )


def anchor_audit(settings: Settings, audit: AuditLog) -> tuple[int, str]:
    """Sign the head of `audit` and append it to the configured anchor file."""
    seq, hash_ = audit.head()
    append(settings.audit_anchors, sign(audit.keys, seq, hash_))
    return seq, hash_


@contextmanager
def open_services(settings: Settings) -> Iterator[Services]:
    """The services for `settings`; whatever was opened is closed on exit."""
    secure_data_dir(settings.data_dir)
    with ExitStack() as stack:
        yield Services(settings, stack)


@contextmanager
def open_review_stores(settings: Settings) -> Iterator[ReviewStores]:
    """Only the review stores (queue, audit, users) of the configured database."""
    with open_services(settings) as services:
        yield services.stores


@contextmanager
def open_review_service(settings: Settings) -> Iterator[ReviewService]:
    """A ready review service (resuming threads through the checkpointer alone)."""
    with open_services(settings) as services:
        yield services.review


def create_schema(settings: Settings) -> None:
    """Every table before any worker starts: Alembic's (review, audit, users, chat) and LangGraph's.

    Processes also do this on open, but two API workers doing it at once on an empty PostgreSQL race,
    so launchers call this first.
    """
    secure_data_dir(settings.data_dir, existing=True)
    engine = make_engine(settings.sqlalchemy_url, phi_keyring(settings))
    try:
        migrate(engine)
    finally:
        engine.dispose()
    with open_checkpointer(settings.database_url, settings.data_dir, transcript_cipher(settings)):
        pass
