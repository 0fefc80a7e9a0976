"""`carecoord sandbox seed` and `carecoord sandbox patients`.

The sandbox CLI registers these functions as commands. The cohort packages (carebundle,
numpy, httpx) are imported inside them so `carecoord --help` stays fast.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import NoReturn

import typer
from rich.console import Console

_out = Console()
_err = Console(stderr=True)

_FHIR_URL = typer.Option(
    None, "--fhir-url", help="FHIR base URL (default: CARECOORD_FHIR_URL, the local sandbox)."
)


def _fhir_url(given: str | None) -> str:
    from carecoord.settings import get_settings

    return (given or get_settings().fhir_url).rstrip("/")


def _unreachable(url: str) -> NoReturn:
    _err.print(
        f"[red]No FHIR server answered at {url}.[/red] Start one with `carecoord sandbox start`.",
        soft_wrap=True,
    )
    raise typer.Exit(1)


def seed(
    patients: int = typer.Option(60, "--patients", min=1, help="How many synthetic patients to create."),
    seed: int = typer.Option(
        7, "--seed", help="Random seed: the same seed gives the same patients and ids (dates follow today)."
    ),
    fhir_url: str | None = _FHIR_URL,
) -> None:
    """Fill a FHIR server with the synthetic clinic and patients (safe to run again)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tools.sandbox.cohort.build import build_cohort
    from tools.sandbox.cohort.load import CohortLoadError, FhirServerUnreachable, load_cohort, probe

    url = _fhir_url(fhir_url)
    try:
        probe(url)
    except FhirServerUnreachable:
        _unreachable(url)
    with _err.status(f"Building {patients} synthetic patients (seed {seed})..."):
        cohort = build_cohort(patients=patients, seed=seed)
    columns = (
        TextColumn("Seeding {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=_err, transient=True) as progress:
            task = progress.add_task(url, total=len(cohort.resources()))
            report = load_cohort(url, cohort, on_progress=lambda n: progress.advance(task, n))
    except FhirServerUnreachable:
        _unreachable(url)
    except CohortLoadError as error:
        _err.print(f"[red]Seeding failed:[/red] {error}", soft_wrap=True)
        raise typer.Exit(1) from None
    _out.print(
        f"Seeded {patients} patients ({report.resources} resources) into {url} "
        f"in {report.seconds:.1f} s via {report.mode}.",
        soft_wrap=True,
    )
    if report.skipped:
        left_out = ", ".join(f"{count} {kind}" for kind, count in sorted(report.skipped.items()))
        _err.print(
            f"[yellow]Left out (the server does not support these types):[/yellow] {left_out}", soft_wrap=True
        )


def patients(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    fhir_url: str | None = _FHIR_URL,
) -> None:
    """List the patients on a FHIR server with a one-line clinical summary each."""
    import httpx

    from tools.sandbox.cohort.load import FhirServerUnreachable
    from tools.sandbox.cohort.roster import fetch_roster
    from tools.sandbox.cohort.roster_table import roster_table

    url = _fhir_url(fhir_url)
    try:
        roster = fetch_roster(url)
    except FhirServerUnreachable:
        _unreachable(url)
    except httpx.HTTPStatusError as error:
        _err.print(
            f"[red]The FHIR server refused the search:[/red] HTTP {error.response.status_code}",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    except (httpx.TransportError, ValueError) as error:
        _err.print(f"[red]Could not read the patients from {url}:[/red] {error}", soft_wrap=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps([{**asdict(entry), "summary": entry.summary} for entry in roster], indent=2))
        return
    table = roster_table(roster, url)
    _out.print(table)
