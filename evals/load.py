"""Load test of the patient API: patients who arrive, think and wait for answers; CPU per turn on the server.

`python -m evals.load` starts `carecoord serve` on a free port over the configured FHIR server and
knowledge index (`make demo` state: `CARECOORD_FHIR_URL`, `CARECOORD_DATA_DIR`), with the offline
reasoner, a fresh database and limits raised out of the way, then runs the load client
(`evals.load_client`) in a process of its own at a lower priority, so its own CPU does not count as the
server's and disturbs it as little as two shared cores allow. Patients arrive as a Poisson process and
think 5-20 s between messages, each message new. Reported per scenario: time to answer p50/p95, turns/s,
errors, and from /proc the server's CPU ms per turn (API process and its workers) and each worker's RSS.

The default is one short scenario (`make bench`); `--sweep` runs 1/10/50/200 sessions x 1/2 workers on
SQLite and on PostgreSQL + Redis (a fresh schema in `--postgres`, a Redis database in `--redis`).
Not a test: it sends traffic to 127.0.0.1 only and stops by itself.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal, cast

import httpx
import typer

from carecoord.services import free_port
from carecoord.settings import Settings, get_settings
from evals.procstats import CpuMeter, children, rss_mb

Backend = Literal["sqlite", "postgres"]
SWEEP_SESSIONS = (1, 10, 50, 200)
SWEEP_WORKERS = (1, 2)
CLIENT_NICE = 5


@dataclass(frozen=True)
class Scenario:
    """One run: how many patients, how many workers, which stores."""

    sessions: int
    workers: int
    backend: Backend
    turns: int


@dataclass(frozen=True)
class Outcome:
    """What one scenario measured."""

    sessions: int
    workers: int
    backend: str
    turns_ok: int
    errors: int
    error_kinds: dict[str, int]
    p50_s: float | None
    p95_s: float | None
    max_s: float | None
    wall_s: float
    turns_per_s: float
    server_cpu_ms_per_turn: float | None
    worker_rss_mb: list[float]
    server_log: str


def _percentile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))], 3)


def _server_env(settings: Settings, database_url: str, redis_url: str | None, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARECOORD_", "ANTHROPIC_"))}
    env.update(
        CARECOORD_DATA_DIR=str(settings.data_dir.resolve()),
        CARECOORD_FHIR_URL=settings.fhir_url,
        CARECOORD_VECTOR_CACHE_DIR=str(settings.vectors_cache.resolve()),
        CARECOORD_REASONER="offline",
        CARECOORD_DEMO_MODE="1",
        CARECOORD_DATABASE_URL=database_url,
        CARECOORD_JWT_SECRET=secret,
        CARECOORD_TRANSCRIPT_KEYS=json.dumps({"load": base64.b64encode(os.urandom(32)).decode()}),
        CARECOORD_TRANSCRIPT_KEY_ID="load",
        CARECOORD_RATE_LIMIT_PATIENT_PER_MIN="100000",
        CARECOORD_RATE_LIMIT_IP_PER_MIN="1000000",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    if settings.chroma_url:
        env["CARECOORD_CHROMA_URL"] = settings.chroma_url
    if redis_url:
        env["CARECOORD_REDIS_URL"] = redis_url
    return env


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 240.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the API did not become ready")


@contextmanager
def _database(backend: Backend, scratch: Path, postgres: str, redis: str) -> Iterator[tuple[str, str | None]]:
    """A fresh database (SQLite file, or a PostgreSQL schema dropped afterwards) and the Redis URL."""
    if backend == "sqlite":
        yield f"sqlite:///{scratch / f'load-{uuid.uuid4().hex[:8]}.sqlite3'}", None
        return
    import psycopg

    from agent.checkpoints import open_checkpointer
    from carecoord.keyring import ephemeral_keyring

    schema = f"cc_load_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{postgres}?options=-csearch_path%3D{schema}"
    try:
        # Create the checkpoint tables first: workers starting together on an empty schema race in
        # PostgresSaver.setup() (UniqueViolation twice in a row kills one of them).
        with open_checkpointer(url, scratch, ephemeral_keyring()):  # tables only, no rows
            pass
        yield url, redis
    finally:
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _workers(server_pid: int, workers: int) -> list[int]:
    """The processes that run turns: the server itself with one worker, else its spawned workers."""
    if workers == 1:
        return [server_pid]
    spawned = []
    for pid in children(server_pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "spawn_main" in command:
            spawned.append(pid)
    return spawned


def _client(
    url: str, tokens: list[str], turns: int, think: tuple[float, float], seed: int
) -> dict[str, object]:
    plan = {
        "url": url,
        "tokens": tokens,
        "turns": turns,
        "think": list(think),
        "arrival_s": think[1],
        "seed": seed,
    }
    done = subprocess.run(
        [sys.executable, "-m", "evals.load_client"],
        input=json.dumps(plan).encode(),
        capture_output=True,
        check=False,
        preexec_fn=lambda: os.nice(CLIENT_NICE),  # the client yields CPU to the server
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load client failed: {done.stderr.decode(errors='replace')[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout)
    return result


def run_scenario(
    scenario: Scenario,
    settings: Settings,
    patients: list[str],
    think: tuple[float, float],
    postgres: str,
    redis: str,
) -> Outcome:
    """Start a server for the scenario, run the client against it, measure, stop the server."""
    from ui.api.auth import TokenService

    scratch = Path(tempfile.mkdtemp(prefix="carecoord-load-"))
    secret = secrets.token_urlsafe(32)
    with _database(scenario.backend, scratch, postgres, redis) as (database_url, redis_url):
        env = _server_env(settings, database_url, redis_url, secret)
        port = free_port()
        log_path = scratch / "server.log"
        command = [
            sys.executable,
            "-m",
            "carecoord",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(scenario.workers),
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            url = f"http://127.0.0.1:{port}"
            try:
                _wait_ready(url, process)
                issuer = TokenService(secret, settings.jwt_issuer, 3600)
                tokens = [issuer.issue(patients[i % len(patients)]) for i in range(scenario.sessions)]
                meter = CpuMeter(process.pid).start()
                result = _client(url, tokens, scenario.turns, think, seed=scenario.sessions)
                cpu_used = meter.stop()
                rss = [round(rss_mb(pid), 1) for pid in _workers(process.pid, scenario.workers)]
            finally:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
    latencies = [float(x) for x in result["latencies_s"]]  # type: ignore[attr-defined]
    errors = dict(result["errors"])  # type: ignore[call-overload]
    wall = float(result["wall_s"])  # type: ignore[arg-type]
    return Outcome(
        sessions=scenario.sessions,
        workers=scenario.workers,
        backend=scenario.backend,
        turns_ok=len(latencies),
        errors=sum(errors.values()),
        error_kinds=errors,
        p50_s=_percentile(latencies, 0.5),
        p95_s=_percentile(latencies, 0.95),
        max_s=round(max(latencies), 3) if latencies else None,
        wall_s=round(wall, 1),
        turns_per_s=round(len(latencies) / wall, 2) if wall else 0.0,
        server_cpu_ms_per_turn=round(cpu_used * 1000 / len(latencies), 1) if latencies else None,
        worker_rss_mb=rss,
        server_log=str(log_path),
    )


def main(
    sessions: Annotated[int, typer.Option(help="Patient sessions (arriving over the think-time span).")] = 10,
    turns: Annotated[int, typer.Option(help="Messages per session.")] = 3,
    workers: Annotated[int, typer.Option(help="API worker processes.")] = 2,
    backend: Annotated[str, typer.Option(help="sqlite, or postgres (with Redis).")] = "sqlite",
    sweep: Annotated[
        bool,
        typer.Option(
            "--sweep", help="Run 1/10/50/200 sessions x 1/2 workers on SQLite and PostgreSQL+Redis."
        ),
    ] = False,
    think_min: Annotated[float, typer.Option(help="Shortest think time between messages, s.")] = 5.0,
    think_max: Annotated[float, typer.Option(help="Longest think time between messages, s.")] = 20.0,
    postgres: Annotated[
        str, typer.Option(help="PostgreSQL server for the postgres backend (a fresh schema per scenario).")
    ] = "postgresql://postgres@127.0.0.1:5432/test",
    redis: Annotated[str, typer.Option(help="Redis for the postgres backend.")] = "redis://127.0.0.1:6379/5",
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON lines.")] = False,
) -> None:
    """Run the scenario (or the sweep) and print one line (or JSON object) per scenario."""
    from tools.sandbox.cohort.load import FhirServerUnreachable
    from tools.sandbox.cohort.roster import fetch_roster

    if backend not in ("sqlite", "postgres"):
        typer.echo(f"--backend must be sqlite or postgres, not {backend!r}", err=True)
        raise typer.Exit(code=2)
    settings = get_settings()
    try:
        patients = [entry.id for entry in fetch_roster(settings.fhir_url)]
    except (FhirServerUnreachable, httpx.HTTPError, ValueError) as exc:
        typer.echo(
            f"No FHIR server with patients at {settings.fhir_url} ({type(exc).__name__}); run `make demo`.",
            err=True,
        )
        raise typer.Exit(code=1) from None
    if not patients:
        typer.echo(
            f"The FHIR server at {settings.fhir_url} has no patients; run `carecoord sandbox seed`.", err=True
        )
        raise typer.Exit(code=1)
    backends: tuple[Backend, ...] = ("sqlite", "postgres")
    scenarios = (
        [Scenario(n, w, b, turns) for b in backends for w in SWEEP_WORKERS for n in SWEEP_SESSIONS]
        if sweep
        else [Scenario(sessions, workers, cast(Backend, backend), turns)]
    )
    for scenario in scenarios:
        outcome = run_scenario(scenario, settings, patients, (think_min, think_max), postgres, redis)
        if as_json:
            typer.echo(json.dumps(asdict(outcome)))
            continue
        typer.echo(
            f"{outcome.sessions} sessions x {scenario.turns} turns, {outcome.workers} worker(s), {outcome.backend}: "
            f"{outcome.turns_ok} turns, {outcome.turns_per_s} turns/s; time to answer p50 {outcome.p50_s} s, "
            f"p95 {outcome.p95_s} s; server CPU {outcome.server_cpu_ms_per_turn} ms/turn; "
            f"worker RSS {outcome.worker_rss_mb} MB; errors {outcome.errors} {outcome.error_kinds or ''}".rstrip()
        )


if __name__ == "__main__":
    typer.run(main)
