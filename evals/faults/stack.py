"""The scale-out topology as real processes that faults can kill and restart.

`FaultStack` starts, on free ports: the sandbox FHIR server (seeded), a `chroma run` server (the
corpus ingested), and `carecoord serve --workers N` over a PostgreSQL database and Redis, the way
`carecoord up --scale` does. Each part can be stopped, restarted or killed; worker pids are read from
/proc. The fault tests and the soak benchmark (`python -m evals.faults.soak`) both build on it.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from carecoord.services import Service, answers, free_port, run_dir, start
from carecoord.settings import Settings
from carecoord.topology import LOCAL_REDIS_URL, chroma_service, scale_env

STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class StackConfig:
    """What to start: where, on which database, how many workers and patients."""

    root: Path
    database_url: str
    workers: int = 2
    patients: int = 12
    redis_url: str = LOCAL_REDIS_URL
    vector_cache: Path | None = None
    """Exemplar embeddings cached by an earlier run (saves each worker ~10 s at start)."""
    chunk_vectors: Path | None = None
    """Chunk embeddings cached by an earlier ingest (saves ~30 s of MiniLM on CPU)."""
    fhir_timeout_s: float = 5.0
    extra_env: dict[str, str] = field(default_factory=dict)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc (no psutil needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


class FaultStack:
    """Sandbox + Chroma server + API workers on one database; every part restartable."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.data_dir = config.root / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.sandbox_port, self.chroma_port, self.api_port = free_port(), free_port(), free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.settings = Settings(
            data_dir=self.data_dir,
            fhir_url=f"http://127.0.0.1:{self.sandbox_port}/fhir",
            fhir_timeout_s=config.fhir_timeout_s,
            chroma_url=f"http://127.0.0.1:{self.chroma_port}",
            database_url=config.database_url,
            redis_url=config.redis_url,
            reasoner="offline",
            demo_mode=True,
            vector_cache_dir=config.vector_cache,
            jwt_secret=SecretStr(secrets.token_urlsafe(32)),
            transcript_keys={"k1": SecretStr(base64.b64encode(os.urandom(32)).decode())},
            transcript_key_id="k1",
            rate_limit_patient_per_min=100_000,
            rate_limit_ip_per_min=1_000_000,
        )
        self.services = {
            "sandbox": Service(
                "sandbox",
                (
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.sandbox_port),
                    "--data-dir",
                    str(self.data_dir),
                    "--log-level",
                    "warning",
                ),
                f"{self.settings.fhir_url}/metadata",
                self.settings.fhir_url,
                program=(sys.executable, "-m", "tools.sandbox"),
            ),
            "chroma": chroma_service(self.data_dir, self.chroma_port),
            "api": Service(
                "api",
                ("serve", "--port", str(self.api_port), "--workers", str(config.workers)),
                f"{self.api_url}/readyz",
                self.api_url,
            ),
        }

    def env(self) -> dict[str, str]:
        """The environment of the stack's CareCoord processes (API, CLI, console)."""
        settings = self.settings
        assert settings.jwt_secret is not None
        keys = {name: key.get_secret_value() for name, key in settings.transcript_keys.items()}
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("CARECOORD_", "ANTHROPIC_"))}
        values = {
            **scale_env(settings),
            "CARECOORD_DATA_DIR": str(self.data_dir),
            "CARECOORD_FHIR_TIMEOUT_S": str(settings.fhir_timeout_s),
            "CARECOORD_REASONER": "offline",
            "CARECOORD_DEMO_MODE": "1",
            "CARECOORD_JWT_SECRET": settings.jwt_secret.get_secret_value(),
            "CARECOORD_TRANSCRIPT_KEYS": json.dumps(keys),
            "CARECOORD_TRANSCRIPT_KEY_ID": settings.transcript_key_id,
            "CARECOORD_RATE_LIMIT_PATIENT_PER_MIN": str(settings.rate_limit_patient_per_min),
            "CARECOORD_RATE_LIMIT_IP_PER_MIN": str(settings.rate_limit_ip_per_min),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
        }
        if settings.vector_cache_dir is not None:
            values["CARECOORD_VECTOR_CACHE_DIR"] = str(settings.vector_cache_dir)
        return {**inherited, **values, **self.config.extra_env}

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FaultStack:
        """Start everything, seed the sandbox, ingest the corpus; returns self when the API is ready."""
        from carecoord.topology import ensure_database
        from carecoord.wiring import create_schema, open_services
        from knowledge.ingest import ingest
        from tools.sandbox.cohort import build_cohort, load_cohort

        ensure_database(self.config.database_url)
        create_schema(self.settings)
        self.start_service("sandbox")
        load_cohort(self.settings.fhir_url, build_cohort(patients=self.config.patients, seed=7))
        self.start_service("chroma")
        with open_services(self.settings) as services:
            ingest(None, services.index, vector_cache=self.config.chunk_vectors)
        self.start_service("api", timeout_s=240.0)
        return self

    def start_service(self, name: str, timeout_s: float = 120.0) -> None:
        """Start one part (no-op when it already answers)."""
        start(self.services[name], self.data_dir, self.env(), timeout_s=timeout_s)

    def pid(self, name: str) -> int | None:
        """The recorded pid of a part (the API's is uvicorn's supervisor)."""
        path = run_dir(self.data_dir) / f"{name}.pid"
        return int(path.read_text()) if path.exists() else None

    def stop_service(self, name: str, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop one part and wait until its whole process group is gone (SIGKILL after a timeout)."""
        pid = self.pid(name)
        if pid is None or not _alive(pid):
            return
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline and (_alive(pid) or answers(self.services[name].health_url, 0.5)):
            time.sleep(0.1)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.1)
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass

    def restart_service(self, name: str, down_s: float = 0.0) -> None:
        """Stop a part, keep it down `down_s`, start it again."""
        self.stop_service(name)
        time.sleep(down_s)
        self.start_service(name)

    def worker_pids(self) -> list[int]:
        """The API's worker processes (children of the supervisor, minus multiprocessing helpers)."""
        master = self.pid("api")
        if master is None:
            return []
        workers = []
        for child in _children(master):
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"resource_tracker" not in command:
                workers.append(child)
        return workers

    def wait_for_workers(self, count: int, timeout_s: float = 120.0) -> list[int]:
        """Wait until `count` workers run and the API is ready; returns their pids."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) >= count and answers(f"{self.api_url}/readyz", 2.0):
                return pids
            time.sleep(0.5)
        raise TimeoutError(f"{count} API workers were not back within {timeout_s:.0f} s")

    def log(self, name: str) -> str:
        """Everything a part has logged."""
        path = run_dir(self.data_dir) / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        """Stop every part."""
        for name in ("api", "chroma", "sandbox"):
            self.stop_service(name)
