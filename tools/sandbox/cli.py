"""`carecoord sandbox ...`: run the local FHIR R4 sandbox in the foreground or the background.

FastAPI, uvicorn and the FHIR models are imported inside the commands so `carecoord --help` stays fast.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import typer
from rich.console import Console

from carecoord.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True)
_err = Console(stderr=True, soft_wrap=True)

_HOST = typer.Option(None, "--host", help="Interface to bind (default: CARECOORD_SANDBOX_HOST, 127.0.0.1).")
_PORT = typer.Option(None, "--port", help="Port to listen on (default: CARECOORD_SANDBOX_PORT, 8090).")
_LOAD_PATH = typer.Argument(
    ..., help="A FHIR R4 JSON file (Bundle or resource), an .ndjson file, or a folder of them."
)
_DATA_DIR = typer.Option(None, "--data-dir", help="Data folder (default: CARECOORD_DATA_DIR, .carecoord).")


def _settings(data_dir: Path | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir is not None else settings


@app.command()
def serve(
    host: str | None = _HOST,
    port: int | None = _PORT,
    data_dir: Path | None = _DATA_DIR,
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Run the FHIR server in the foreground (Ctrl-C stops it)."""
    import uvicorn

    from tools.sandbox.app import create_app
    from tools.sandbox.daemon import base_url

    settings = _settings(data_dir)
    host = host or settings.sandbox_host
    port = port or settings.sandbox_port
    try:
        server = create_app(settings.sandbox_db_path)
    except (OSError, sqlite3.Error) as exc:
        _err.print(
            f"[red]error:[/red] cannot open {settings.sandbox_db_path}: {exc}", markup=True, highlight=False
        )
        raise typer.Exit(code=1) from None
    typer.echo(f"FHIR R4 sandbox at {base_url(host, port)} (database {settings.sandbox_db_path})")
    uvicorn.run(server, host=host, port=port, log_level=log_level)


@app.command()
def start(
    host: str | None = _HOST,
    port: int | None = _PORT,
    data_dir: Path | None = _DATA_DIR,
) -> None:
    """Start the server in the background (no-op if one already answers on the port)."""
    from tools.sandbox.daemon import SandboxProcessError, start_background

    settings = _settings(data_dir)
    try:
        result = start_background(
            settings.data_dir, host or settings.sandbox_host, port or settings.sandbox_port
        )
    except SandboxProcessError as exc:
        _err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(code=1) from None
    if result.already_running:
        typer.echo(f"FHIR sandbox already running at {result.url}")
    else:
        typer.echo(f"FHIR sandbox running at {result.url} (pid {result.pid})")


@app.command()
def stop(data_dir: Path | None = _DATA_DIR) -> None:
    """Stop the background server started by `start`."""
    from tools.sandbox.daemon import stop_background

    typer.echo(stop_background(_settings(data_dir).data_dir))


@app.command()
def load(
    path: Path = _LOAD_PATH,
    fhir_url: str | None = typer.Option(
        None, "--fhir-url", help="FHIR base URL (default: CARECOORD_FHIR_URL, the local sandbox)."
    ),
) -> None:
    """Load your own patients (e.g. Synthea output): every file checked first, then each resource PUT by id."""
    from rich.markup import escape

    from tools.errors import FhirUnavailable
    from tools.fhir import FhirGateway
    from tools.sandbox.file_load import UnreadableInput, file_count, load_resources, read_resources

    url = (fhir_url or get_settings().fhir_url).rstrip("/")
    try:
        resources = read_resources(path)
    except UnreadableInput as exc:
        _err.print(f"[red]Nothing loaded:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    try:
        report = load_resources(FhirGateway(url), resources)
    except FhirUnavailable as exc:
        _err.print(
            f"[red]No FHIR server answered at {url}:[/red] {exc} Start one with `carecoord sandbox start`."
        )
        raise typer.Exit(1) from None
    typer.echo(
        f"Loaded {report.loaded} of {len(resources)} resources from {file_count(path)} file(s) into {url}."
    )
    for refused in report.rejected:
        _err.print(f"[yellow]Refused {refused.reference}:[/yellow] {escape(refused.message)}")
    if report.rejected:
        raise typer.Exit(1)


# The cohort commands live with the cohort (another module owns them); registered last on purpose.
from tools.sandbox.cohort.commands import patients, seed  # noqa: E402

app.command(
    "seed", help="Fill the sandbox with the synthetic cohort (patients, clinicians, schedules, records)."
)(seed)
app.command("patients", help="List the sandbox's patients.")(patients)
