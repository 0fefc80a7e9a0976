"""Approval latency: `python -m evals.approval_bench` (part of `make bench`).

Starts its own sandbox in a temporary folder and seeds the demo cohort; the offline agent files refill
requests from real chat turns (their threads park waiting for a clinician). Then a fresh process
(`evals.approval_timing`) opens the services the way the console and `carecoord review` do (no chat
service: threads resumed from the checkpoints) and approves each item: the first approval of that
process is reported apart (cold), the rest give the warm p50/p95 of the whole decision — transaction,
Task, patient message. Issue 14's budget: p95 ≤ 2 s warm.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from carecoord.services import free_port

BUDGET_P95_MS = 2000.0


@dataclass(frozen=True)
class ApprovalBench:
    """Wall times of approvals, in milliseconds."""

    approvals: int
    cold_ms: float
    p50_ms: float
    p95_ms: float
    max_ms: float


def run(items: int) -> ApprovalBench:
    """Set up, file `items` + 1 refills by chat, approve them all; tear down."""
    from carecoord.settings import Settings
    from carecoord.wiring import open_services
    from knowledge.ingest import ingest
    from tools.sandbox.cohort import build_cohort, load_cohort

    with tempfile.TemporaryDirectory(prefix="cc-approval-bench-") as tmp:
        data_dir = Path(tmp)
        port = free_port()
        command = [sys.executable, "-m", "tools.sandbox", "serve", "--port", str(port), "--data-dir", tmp]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/fhir"
            _wait_up(url)
            cohort = build_cohort(patients=60, seed=7)
            load_cohort(url, cohort)
            settings = Settings(
                data_dir=data_dir,
                fhir_url=url,
                reasoner="offline",
                vector_cache_dir=Path(".carecoord/cache/vectors"),
            )
            asks = [
                (patient.id, f"Can I get a refill of my {name}?")
                for patient in cohort.patients
                for name in _active_medications(patient.resources)[:1]
            ]
            with open_services(settings) as services:
                ingest(None, services.index, vector_cache=Path(".carecoord/cache/chunk-vectors"))
                chat = services.chat("offline")
                filed = []
                for patient_id, question in asks:
                    result = chat.turn(patient_id, question)
                    if result.escalation is not None and result.escalation.kind == "action_approval":
                        filed.append(result.escalation.id)
                    if len(filed) > items:
                        break
                services.users.add("bench", "bench password 1", "clinician", "Dr. Bench")
            timing = [sys.executable, "-m", "evals.approval_timing", tmp, url, "bench", *filed]
            walls = json.loads(subprocess.run(timing, check=True, capture_output=True, text=True).stdout)
        finally:
            server.terminate()
            server.wait(timeout=10)
    if len(walls) < 2:
        raise RuntimeError(f"the agent filed only {len(walls)} refill approvals; nothing to time")
    cold, warm = walls[0], sorted(walls[1:])
    return ApprovalBench(
        approvals=len(warm),
        cold_ms=round(cold, 1),
        p50_ms=round(statistics.median(warm), 1),
        p95_ms=round(warm[min(len(warm) - 1, round(0.95 * (len(warm) - 1)))], 1),
        max_ms=round(warm[-1], 1),
    )


def _active_medications(resources: Sequence[Mapping[str, Any]]) -> list[str]:
    names = []
    for resource in resources:
        if resource.get("resourceType") == "MedicationRequest" and resource.get("status") == "active":
            concept = resource.get("medicationCodeableConcept")
            text = concept.get("text") if isinstance(concept, dict) else None
            if text:
                names.append(str(text).split(" ")[0])
    return names


def _wait_up(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{url}/metadata", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the sandbox at {url} did not start")


def main(
    items: Annotated[int, typer.Option(help="Warm approvals to time (after one cold one).")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON.")] = False,
) -> None:
    """Print the cold approval and the warm p50/p95; exit 1 over the 2 s p95 budget."""
    result = run(items)
    if as_json:
        typer.echo(json.dumps(asdict(result)))
    else:
        typer.echo(
            f"Approvals ({result.approvals} warm, refills filed by chat, sandbox): cold {result.cold_ms} ms, "
            f"p50 {result.p50_ms} ms, p95 {result.p95_ms} ms, max {result.max_ms} ms "
            f"(budget p95 ≤ {BUDGET_P95_MS:.0f} ms)"
        )
    if result.p95_ms > BUDGET_P95_MS:
        raise typer.Exit(code=1)


if __name__ == "__main__":
    typer.run(main)
