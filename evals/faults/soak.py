"""Soak run: the scale-out stack under 50 patient sessions for 5 minutes, with faults on a schedule.

`python -m evals.faults.soak` (part of `make bench`) starts a private PostgreSQL, the sandbox, a
Chroma server and `carecoord serve --workers 2`; patients chat while two clinicians race to approve
every drafted action, and workers are killed and servers restarted on schedule. It prints turns
served, errors by kind, p50/p95 latency, escalations announced vs. found in the queue, and FHIR
resources written vs. approvals; it exits 1 when an escalation is lost or a write is duplicated.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from evals.faults.clinicians import CLINICIANS, Decisions, add_clinicians, approve_pending
from evals.faults.postgres import PrivatePostgres
from evals.faults.schedule import FaultLog, default_faults, run_schedule
from evals.faults.stack import FaultStack, StackConfig
from evals.faults.traffic import Tally, run_patients

REPO = Path(__file__).resolve().parents[2]
SETTLE_S = 30.0
"""After the patients stop: time for the clinicians to decide the last items."""


def _percentile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 3)


def drafted_identifiers(fhir_url: str) -> list[str]:
    """The draft identifier of every resource an approval wrote (one per write, duplicates kept)."""
    from tools.drafts import DRAFT_IDENTIFIER_SYSTEM

    found: list[str] = []
    with httpx.Client(timeout=60) as client:
        for kind in ("MedicationRequest", "Appointment", "ServiceRequest", "Communication"):
            url: str | None = f"{fhir_url}/{kind}?_count=500"
            while url:
                bundle = client.get(url).json()
                for entry in bundle.get("entry", []):
                    for identifier in entry["resource"].get("identifier", []):
                        if identifier.get("system") == DRAFT_IDENTIFIER_SYSTEM:
                            found.append(identifier["value"])
                url = next(
                    (link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None
                )
    return found


def _report(
    tally: Tally, decisions: Decisions, stack: FaultStack, faults: FaultLog, seconds: float
) -> dict[str, Any]:
    from carecoord.wiring import open_review_service

    with open_review_service(stack.settings) as service:
        repaired = service.repair(CLINICIANS[0])
        items = service.list()
        audit = service.audit.verify()
    queue_ids = {item.id for item in items}
    approved = [i for i in items if i.kind == "action_approval" and i.status == "approved"]
    identifiers = drafted_identifiers(stack.settings.fhir_url)
    lost = sorted(tally.escalations - queue_ids)
    return {
        "seconds": round(seconds),
        "sessions": None,
        "turns_served": len(tally.latencies),
        "answers_recovered_after_interruption": tally.recovered,
        "errors": dict(sorted(tally.errors.items())),
        "stream_reconnects": tally.stream_breaks,
        "p50_s": _percentile(tally.latencies, 0.50),
        "p95_s": _percentile(tally.latencies, 0.95),
        "escalations_announced": len(tally.escalations),
        "escalations_found_in_queue": len(tally.escalations & queue_ids),
        "escalations_lost": lost,
        "queue_items": len(items),
        "approvals": len(approved),
        "approve_calls_won": decisions.approved,
        "approve_races_lost": decisions.lost_races,
        "approve_errors": dict(decisions.errors),
        "decisions_repaired": len(repaired),
        "fhir_resources_written": len(identifiers),
        "fhir_duplicate_writes": len(identifiers) - len(set(identifiers)),
        "audit_chain": audit.message if audit.ok else f"BROKEN at {audit.first_broken}: {audit.message}",
        "audit_ok": audit.ok,
        "faults": faults.entries,
    }


def main(
    minutes: Annotated[float, typer.Option(help="Length of the run.")] = 5.0,
    sessions: Annotated[int, typer.Option(help="Concurrent patient sessions.")] = 50,
    workers: Annotated[int, typer.Option(help="API worker processes.")] = 2,
    patients: Annotated[int, typer.Option(help="Synthetic patients in the sandbox.")] = 30,
    out: Annotated[Path | None, typer.Option(help="Also write the figures here as JSON.")] = None,
) -> None:
    """Run the soak and print its figures."""
    from tools.sandbox.cohort import build_cohort
    from ui.api.auth import TokenService

    seconds = minutes * 60
    postgres = PrivatePostgres()
    postgres.init()
    postgres.start()
    cache = REPO / ".carecoord" / "cache"
    config = StackConfig(
        root=Path(tempfile.mkdtemp(prefix="carecoord-soak-")),
        database_url=postgres.url,
        workers=workers,
        patients=patients,
        vector_cache=cache / "vectors",
        chunk_vectors=cache / "chunk-vectors",
    )
    stack = FaultStack(config)
    try:
        typer.echo(f"Starting the stack in {config.root} …")
        stack.start()
        add_clinicians(stack.settings)
        roster = [patient.id for patient in build_cohort(patients=patients, seed=7).patients]
        issuer = TokenService.from_settings(stack.settings)
        tokens = [issuer.issue(roster[i % len(roster)], 3 * 3600) for i in range(sessions)]
        faults = FaultLog()
        stop = threading.Event()
        decisions = Decisions()
        # Clinicians resume threads through the checkpoints alone (no chat service of their own).
        clinicians = [
            threading.Thread(target=approve_pending, args=(stack.settings, name, stop, decisions))
            for name in CLINICIANS
        ]
        for thread in clinicians:
            thread.start()
        typer.echo(f"{sessions} sessions for {minutes:g} min, {workers} workers, faults on schedule …")
        injector = run_schedule(default_faults(stack, postgres), seconds, faults)
        started = time.monotonic()
        tally = asyncio.run(run_patients(stack.api_url, tokens, seconds))
        elapsed = time.monotonic() - started
        injector.join()
        time.sleep(SETTLE_S)
        stop.set()
        for thread in clinicians:
            thread.join()
        figures = _report(tally, decisions, stack, faults, elapsed)
        figures["sessions"] = sessions
    finally:
        stack.close()
        postgres.close()
    _print(figures)
    if out is not None:
        out.write_text(json.dumps(figures, indent=2))
    if figures["escalations_lost"] or figures["fhir_duplicate_writes"] or not figures["audit_ok"]:
        raise typer.Exit(code=1)
    if figures["fhir_resources_written"] != figures["approvals"]:
        raise typer.Exit(code=1)


def _print(f: dict[str, Any]) -> None:
    typer.echo("")
    typer.echo(f"Soak: {f['sessions']} sessions, {f['seconds']} s")
    for line in f["faults"]:
        typer.echo(f"  fault {line}")
    typer.echo(f"turns served: {f['turns_served']} (+{f['answers_recovered_after_interruption']} recovered)")
    typer.echo(f"latency p50 {f['p50_s']} s, p95 {f['p95_s']} s; stream reconnects {f['stream_reconnects']}")
    typer.echo(f"errors by kind: {json.dumps(f['errors'])}")
    typer.echo(
        f"escalations: {f['escalations_announced']} announced, {f['escalations_found_in_queue']} found in "
        f"the queue, {len(f['escalations_lost'])} lost ({f['queue_items']} queue items in all)"
    )
    typer.echo(
        f"approvals: {f['approvals']}; FHIR resources written: {f['fhir_resources_written']} "
        f"({f['fhir_duplicate_writes']} duplicates); races lost {f['approve_races_lost']}, "
        f"approve errors {json.dumps(f['approve_errors'])}, repaired {f['decisions_repaired']}"
    )
    typer.echo(f"audit chain: {f['audit_chain']}")


if __name__ == "__main__":
    typer.run(main)
