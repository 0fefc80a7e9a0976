"""Liveness, readiness (FHIR, Chroma, database, Redis when set; each named when it fails) and metrics."""

from __future__ import annotations

import anyio
import anyio.to_thread
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ui.api.deps import StateDep
from ui.api.errors import ErrorDetail
from ui.api.metrics import exposition
from ui.api.state import ApiState

router = APIRouter(tags=["operations"])
CHECK_TIMEOUT_S = 5.0


class Health(BaseModel):
    """Liveness."""

    status: str = "ok"


class Readiness(BaseModel):
    """Each dependency's state: "ok" or what failed."""

    status: str
    checks: dict[str, str]
    error: ErrorDetail | None = None


def _fhir(api: ApiState) -> None:
    api.gateway.probe(timeout_s=min(api.settings.fhir_timeout_s, 3.0))


def _chroma(api: ApiState) -> None:
    index = api.service.services.retriever.index
    index.client.heartbeat()
    if index.count() == 0:
        raise RuntimeError("the knowledge index is empty (run the ingest)")


def _database(api: ApiState) -> None:
    api.store.ping()


def _redis(api: ApiState) -> None:
    from redis import Redis

    assert api.settings.redis_url is not None
    with Redis.from_url(api.settings.redis_url, socket_timeout=2.0, socket_connect_timeout=2.0) as client:
        client.ping()


CHECKS = {"fhir": _fhir, "chroma": _chroma, "database": _database}
OPTIONAL = frozenset({"redis"})
"""Reported but not failing readiness: without Redis the rate limits are not enforced, nothing breaks."""


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(api: StateDep) -> JSONResponse:
    """Ready when FHIR, Chroma and the database all answer; 503 naming the failing parts otherwise."""
    results: dict[str, str] = {}
    checks = {**CHECKS, "redis": _redis} if api.settings.redis_url else CHECKS
    for name, check in checks.items():
        try:
            with anyio.fail_after(CHECK_TIMEOUT_S):
                await anyio.to_thread.run_sync(check, api, abandon_on_cancel=True)
            results[name] = "ok"
        except TimeoutError:
            results[name] = f"no answer within {CHECK_TIMEOUT_S:.0f} s"
        except Exception as exc:  # a readiness probe reports any failure of a dependency, never raises
            results[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
    failing = [name for name, value in results.items() if value != "ok" and name not in OPTIONAL]
    if not failing:
        return JSONResponse(Readiness(status="ready", checks=results).model_dump(exclude_none=True))
    error = ErrorDetail(code="not_ready", message="; ".join(f"{name}: {results[name]}" for name in failing))
    body = Readiness(status="unavailable", checks=results, error=error)
    return JSONResponse(body.model_dump(), status_code=503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(api: StateDep) -> Response:
    """Prometheus text exposition (turn latency, escalations by level, verifier removals, tool errors)."""
    body, content_type = exposition(api.metrics, api.settings.metrics_dir)
    return Response(body, media_type=content_type)
