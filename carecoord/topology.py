"""Scale-out mode on one machine: every store a server, so API workers share nothing in memory.

`carecoord up --scale` uses this to point the system at PostgreSQL (review queue, audit, transcripts,
LangGraph checkpoints), Redis (rate-limit counters) and a `chroma run` server (knowledge index); the
soak benchmark and the fault tests start the same topology. In a real deployment the same three
settings name managed servers instead (see deploy/).
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from carecoord.services import Service
from carecoord.settings import Settings

LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/carecoord"
"""The machine's PostgreSQL, database `carecoord` (created when missing)."""
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
CHROMA_PORT = 8001


def chroma_service(data_dir: Path, port: int) -> Service:
    """A `chroma run` server persisting under the data dir."""
    return Service(
        "chroma",
        ("run", "--path", str((data_dir / "chroma-server").resolve()), "--port", str(port)),
        f"http://127.0.0.1:{port}/api/v2/heartbeat",
        f"http://127.0.0.1:{port}",
        program=(str(Path(sys.executable).with_name("chroma")),),
    )


def scale_settings(settings: Settings, chroma_port: int = CHROMA_PORT) -> Settings:
    """`settings` with every store on a server: configured ones kept, local defaults otherwise."""
    return settings.model_copy(
        update={
            "database_url": settings.database_url or LOCAL_DATABASE_URL,
            "redis_url": settings.redis_url or LOCAL_REDIS_URL,
            "chroma_url": settings.chroma_url or f"http://127.0.0.1:{chroma_port}",
        }
    )


def scale_env(settings: Settings) -> dict[str, str]:
    """The variables that put a child process on the same servers as `settings`."""
    assert settings.database_url and settings.redis_url and settings.chroma_url
    return {
        "CARECOORD_DATABASE_URL": settings.database_url,
        "CARECOORD_REDIS_URL": settings.redis_url,
        "CARECOORD_CHROMA_URL": settings.chroma_url,
        "CARECOORD_FHIR_URL": settings.fhir_url,
    }


def ensure_database(database_url: str) -> bool:
    """Create the PostgreSQL database named by the URL when it is missing; True when created."""
    import psycopg
    from psycopg import sql

    url = urlparse(database_url.replace("postgresql+psycopg://", "postgresql://"))
    name = url.path.lstrip("/")
    if url.scheme not in ("postgresql", "postgres") or not name:
        return False
    admin = urlunparse(url._replace(path="/postgres", query=""))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True
