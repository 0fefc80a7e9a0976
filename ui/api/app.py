"""The FastAPI app factory: services built once in the lifespan, middleware, routes and the widget.

`create_app(settings)` is what tests and embedders call; `app_factory()` is uvicorn's entry point
(`carecoord serve`), the one place here that reads settings from the environment. The lifespan gets its
services from the composition root (`carecoord.wiring.open_services`): the one chat service, FHIR
gateway and database engine of this worker process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, ExitStack, asynccontextmanager
from typing import Protocol

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from agent.service import ChatService
from carecoord.notify.dispatcher import Dispatcher
from carecoord.outages import is_dependency_down
from carecoord.revocations import RevocationList
from carecoord.settings import Settings
from carecoord.wakeups.base import Wakeups
from carecoord.wiring import open_services, transcript_cipher
from tools.fhir import FhirGateway
from ui.api import demo, health, routes
from ui.api.auth import TokenService
from ui.api.errors import CatchAll, install_error_handlers
from ui.api.headers import SecurityHeaders, content_security_policy
from ui.api.limits import BodyLimit, Counter, IpRateLimit, MemoryCounter, RateLimiter, RedisCounter
from ui.api.logs import RequestLog
from ui.api.metrics import ApiMetrics
from ui.api.recovery import sweep_forever
from ui.api.state import ApiState
from ui.api.store import TranscriptStore
from ui.api.turns import TurnRunner

log = logging.getLogger("carecoord.api")


class ApiServices(Protocol):
    """What the API takes from the composition root (`carecoord.wiring.Services` is one)."""

    @property
    def gateway(self) -> FhirGateway:
        """The process's FHIR gateway (readiness probes it)."""
        ...

    @property
    def engine(self) -> Engine:
        """The process's database engine (transcripts, turn locks)."""
        ...

    @property
    def dispatcher(self) -> Dispatcher:
        """The process's notification dispatcher (run on a background thread while the app serves)."""
        ...

    @property
    def wakeups(self) -> Wakeups:
        """The channel that wakes the thread's event streams (shared by workers when configured)."""
        ...

    def chat(self, reasoner: str | None = None) -> ChatService:
        """The process's chat service."""
        ...

    def start_anchoring(self) -> object:
        """Anchor the audit chain head every few minutes while the services are open."""
        ...


ServicesFactory = Callable[[Settings], AbstractContextManager[ApiServices]]


STARTUP_RETRY_MAX_S = 10.0


async def _wait_for_dependencies(
    open_all: Callable[[], tuple[ApiServices, TranscriptStore]],
) -> tuple[ApiServices, TranscriptStore]:
    """Open the services, waiting while the database or Chroma is down.

    A worker that exits during startup makes uvicorn stop every worker, so a worker replacing a dead
    one while a server restarts must wait here (not serving; the other workers do) instead of failing.
    """
    delay = 1.0
    while True:
        try:
            return open_all()
        except Exception as exc:
            if not is_dependency_down(exc):
                raise
            log.warning("startup waits for a dependency (%s); retrying in %.0f s", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, STARTUP_RETRY_MAX_S)


def check_settings(settings: Settings) -> None:
    """Raise `ValueError` (a one-line reason) when the API cannot run with these settings."""
    TokenService.from_settings(settings)
    transcript_cipher(settings)


def create_app(settings: Settings, services_for: ServicesFactory = open_services) -> FastAPI:
    """The patient API for `settings` (services open when the app starts)."""
    check_settings(settings)
    counter: Counter = RedisCounter(settings.redis_url) if settings.redis_url else MemoryCounter()
    limiter = RateLimiter(counter, settings.rate_limit_patient_per_min, settings.rate_limit_ip_per_min)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with ExitStack() as stack:

            def open_all() -> tuple[ApiServices, TranscriptStore]:
                with ExitStack() as attempt:  # a failed attempt closes what it opened
                    services = attempt.enter_context(services_for(settings))
                    services.chat()
                    store = TranscriptStore(services.engine, transcript_cipher(settings))
                    stack.enter_context(attempt.pop_all())
                    return services, store

            services, store = await _wait_for_dependencies(open_all)
            services.start_anchoring()
            service = services.chat()
            metrics = ApiMetrics(CollectorRegistry())
            turns = TurnRunner(service, store, metrics, services.wakeups, settings.api_turn_threads)
            app.state.api = ApiState(
                settings=settings,
                service=service,
                gateway=services.gateway,
                store=store,
                tokens=TokenService.from_settings(settings),
                revocations=RevocationList(services.engine),
                limiter=limiter,
                metrics=metrics,
                wakeups=services.wakeups,
                turns=turns,
            )
            stop_dispatch = services.dispatcher.start()  # every worker dispatches; row claims keep it once
            sweeper = asyncio.create_task(sweep_forever(store, turns))  # lapsed turns, on any worker
            try:
                yield
            finally:
                sweeper.cancel()
                await asyncio.to_thread(stop_dispatch)
                await turns.drain()
                if isinstance(counter, RedisCounter):
                    await counter.close()

    app = FastAPI(
        title="CareCoord patient API",
        version="1.0",
        summary="Patient sessions with streamed, cited answers and clinician review.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(routes.router)
    app.include_router(health.router)
    app.include_router(demo.demo_router(settings))
    app.mount("/widget", StaticFiles(directory=demo.WIDGET_DIR), name="widget")
    # Added innermost first: CORS wraps everything, so even a 413 or 429 is readable by the browser.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(IpRateLimit, limiter=limiter)
    app.add_middleware(CatchAll)
    app.add_middleware(SecurityHeaders, csp=content_security_policy(demo.WIDGET_DIR / "demo.html"))
    app.add_middleware(RequestLog)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        max_age=600,
    )
    return app


def app_factory() -> FastAPI:
    """Uvicorn's factory: settings from the environment (`CARECOORD_*`)."""
    from carecoord.settings import get_settings

    return create_app(get_settings())
