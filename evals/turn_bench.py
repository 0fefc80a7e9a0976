"""Warm offline turn latency and CPU on messages the process has never seen: `python -m evals.turn_bench`.

Starts its own sandbox on a free port in a temporary data dir, seeds the demo cohort, gives one patient
a dense record (20,000 glucose readings, as a CGM would leave), builds the index, warms the service on
one set of generated messages, then times whole graph turns (screen → respond, with checkpoints) on a
disjoint set (`evals.messages`): no message vector comes from the embedding memo. Reports wall p50/p95,
CPU ms per turn (this process, which runs the whole turn; and the FHIR server's, apart), the FHIR tool
time per turn for an ordinary and for the dense patient, and this process's RSS.
Goal on a 2-core machine (issue 16): p50 <= 60 ms, p95 <= 150 ms, CPU <= 40 ms per turn.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from carecoord.services import free_port
from evals.messages import unseen_messages
from evals.procstats import cpu_seconds, rss_mb

LAB_QUESTIONS = (
    "what was my last blood sugar reading{tail}",
    "what did my latest glucose check show{tail}",
    "can you tell me my most recent sugar level{tail}",
)
TAILS = ("?", " please?", " today?", " this week?", " right now?", " again?", " from the lab?", " on file?")


@dataclass(frozen=True)
class TurnBench:
    """What one run measured (milliseconds unless named otherwise)."""

    turns: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    cpu_ms_per_turn: float
    cpu_p50_ms: float
    cpu_p95_ms: float
    fhir_server_cpu_ms_per_turn: float
    fhir_ms_per_turn_p50: float
    dense_readings: int
    dense_fhir_ms_per_turn_p50: float
    dense_fhir_ms_per_turn_p95: float
    dense_turn_p50_ms: float
    rss_mb: float


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _lab_questions(count: int) -> list[str]:
    return [
        LAB_QUESTIONS[n % len(LAB_QUESTIONS)]
        .format(tail=TAILS[(n // len(LAB_QUESTIONS)) % len(TAILS)])
        .capitalize()
        for n in range(count)
    ]


def add_dense_record(db_path: Path, patient_id: str, readings: int) -> None:
    """Write `readings` glucose Observations (every 30 minutes, newest now) straight into the sandbox store."""
    from tools.sandbox.records import Update
    from tools.sandbox.store import FhirStore

    now = datetime.now(UTC).replace(microsecond=0)
    store = FhirStore(db_path)
    try:
        with store.transaction() as writer:
            for n in range(readings):
                when = (now - timedelta(minutes=30 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")
                body = {
                    "resourceType": "Observation",
                    "id": f"cgm-{patient_id[:20]}-{n}",
                    "status": "final",
                    "category": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                    "code": "laboratory",
                                }
                            ]
                        }
                    ],
                    "code": {
                        "coding": [{"system": "http://loinc.org", "code": "2339-0", "display": "Glucose"}]
                    },
                    "subject": {"reference": f"Patient/{patient_id}"},
                    "effectiveDateTime": when,
                    "valueQuantity": {"value": 90 + (n * 37) % 90, "unit": "mg/dL"},
                }
                writer.write(Update("Observation", str(body["id"]), body))
    finally:
        store.close()


def run(turns: int, dense_readings: int) -> TurnBench:
    """Set everything up in a temporary folder, run the timed turns, tear it down."""
    from carecoord.settings import Settings
    from carecoord.wiring import open_services
    from knowledge.ingest import ingest
    from tools.sandbox.cohort import build_cohort, load_cohort

    with tempfile.TemporaryDirectory(prefix="cc-turn-bench-") as tmp:
        data_dir = Path(tmp)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tools.sandbox",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/fhir"
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/metadata", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            cohort = build_cohort(patients=60, seed=7)
            load_cohort(url, cohort)
            settings = Settings(
                data_dir=data_dir,
                fhir_url=url,
                reasoner="offline",
                vector_cache_dir=Path(".carecoord/cache/vectors"),
            )
            diabetic = [p.id for p in cohort.patients if "diabetes" in p.problems]
            dense, patients = diabetic[0], diabetic[1:11]
            add_dense_record(settings.sandbox_db_path, dense, dense_readings)
            warm_messages = unseen_messages(42, seed=1)
            timed_messages = unseen_messages(turns, seed=2, exclude=set(warm_messages))
            with open_services(settings) as services:
                ingest(None, services.index, vector_cache=Path(".carecoord/cache/chunk-vectors"))
                service = services.chat("offline")
                for n, message in enumerate(warm_messages):
                    service.turn(patients[n % len(patients)], message)
                service.turn(dense, "What was my last A1c?")
                walls: list[float] = []
                cpus: list[float] = []
                fhir: list[float] = []
                server_cpu = cpu_seconds(server.pid)
                for n, message in enumerate(timed_messages):
                    started, cpu = time.perf_counter(), time.process_time()
                    result = service.turn(patients[n % len(patients)], message)
                    walls.append((time.perf_counter() - started) * 1000)
                    cpus.append((time.process_time() - cpu) * 1000)
                    fhir.append(sum(tool.ms for tool in result.tools))
                server_cpu = cpu_seconds(server.pid) - server_cpu
                dense_fhir: list[float] = []
                dense_walls: list[float] = []
                for question in _lab_questions(12):
                    started = time.perf_counter()
                    result = service.turn(dense, question)
                    dense_walls.append((time.perf_counter() - started) * 1000)
                    dense_fhir.append(sum(tool.ms for tool in result.tools))
                rss = rss_mb(os.getpid())
        finally:
            server.terminate()
            server.wait()
    return TurnBench(
        turns=len(walls),
        p50_ms=round(percentile(walls, 0.5), 1),
        p95_ms=round(percentile(walls, 0.95), 1),
        mean_ms=round(statistics.mean(walls), 1),
        cpu_ms_per_turn=round(statistics.mean(cpus), 1),
        cpu_p50_ms=round(percentile(cpus, 0.5), 1),
        cpu_p95_ms=round(percentile(cpus, 0.95), 1),
        fhir_server_cpu_ms_per_turn=round(server_cpu * 1000 / len(walls), 1),
        fhir_ms_per_turn_p50=round(percentile(fhir, 0.5), 1),
        dense_readings=dense_readings,
        dense_fhir_ms_per_turn_p50=round(percentile(dense_fhir, 0.5), 1),
        dense_fhir_ms_per_turn_p95=round(percentile(dense_fhir, 0.95), 1),
        dense_turn_p50_ms=round(percentile(dense_walls, 0.5), 1),
        rss_mb=round(rss, 0),
    )


def main(
    turns: Annotated[int, typer.Option(help="Timed turns, each on a message not seen before.")] = 120,
    dense_readings: Annotated[int, typer.Option(help="Glucose readings of the dense patient.")] = 20_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON.")] = False,
) -> None:
    """Run the benchmark and print its table (or JSON)."""
    result = run(turns, dense_readings)
    if as_json:
        typer.echo(json.dumps(asdict(result)))
        return
    table = Table(title=f"Warm offline turns on unseen messages ({result.turns} turns)")
    for column in ("p50 ms", "p95 ms", "CPU ms/turn", "FHIR server CPU ms/turn", "FHIR ms/turn", "RSS MB"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{result.p50_ms:.0f}",
        f"{result.p95_ms:.0f}",
        f"{result.cpu_ms_per_turn:.0f}",
        f"{result.fhir_server_cpu_ms_per_turn:.0f}",
        f"{result.fhir_ms_per_turn_p50:.1f}",
        f"{result.rss_mb:.0f}",
    )
    console = Console()
    console.print(table)
    console.print(
        f"Dense patient ({result.dense_readings} readings): FHIR {result.dense_fhir_ms_per_turn_p50:.1f} ms/turn "
        f"p50 ({result.dense_fhir_ms_per_turn_p95:.1f} p95), turn p50 {result.dense_turn_p50_ms:.0f} ms"
    )
    console.print("Goal (issue 16): p50 <= 60 ms, p95 <= 150 ms, CPU <= 40 ms per turn")


if __name__ == "__main__":
    typer.run(main)
