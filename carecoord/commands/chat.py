"""`carecoord chat`: talk to the assistant as one patient, once or in a REPL."""

from __future__ import annotations

import atexit
import subprocess
import sys
import time
from typing import Annotated

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)


def _ensure_sandbox(fhir_url: str, host: str, port: int, data_dir: str) -> None:
    """Start the local sandbox for this command's lifetime when the default URL does not answer."""
    from tools.sandbox.daemon import answers

    if answers(fhir_url.rstrip("/")):
        return
    err.print(f"[dim]No FHIR server at {fhir_url}; starting the local sandbox for this session.[/dim]")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.sandbox",
            "serve",
            "--host",
            host,
            "--port",
            str(port),
            "--data-dir",
            data_dir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(process.terminate)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if answers(fhir_url.rstrip("/"), timeout_s=1.0):
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    err.print(f"[red]The local sandbox could not be started on port {port}.[/red]")
    raise typer.Exit(code=1)


def chat(
    patient: Annotated[str, typer.Option("--patient", help="Patient id the session is bound to.")],
    message: Annotated[
        str | None, typer.Argument(help="One message; omit for an interactive session.")
    ] = None,
    thread: Annotated[str | None, typer.Option("--thread", help="Continue an existing thread.")] = None,
    reasoner: Annotated[
        str | None, typer.Option("--reasoner", help="offline or claude (default: auto).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer object as JSON.")] = False,
) -> None:
    """Chat as one patient."""
    from carecoord.settings import get_settings
    from carecoord.wiring import open_services
    from tools.errors import FhirError

    settings = get_settings()
    if reasoner not in (None, "offline", "claude"):
        err.print("[red]--reasoner must be 'offline' or 'claude'.[/red]")
        raise typer.Exit(code=2)
    if settings.uses_default_sandbox:
        _ensure_sandbox(
            settings.fhir_url, settings.sandbox_host, settings.sandbox_port, str(settings.data_dir)
        )
    with open_services(settings) as services:
        service = services.chat(reasoner)
        try:
            services.gateway.read("Patient", patient)
        except FhirError as exc:
            err.print(f"[red]Cannot open a session for patient {patient!r}: {exc}[/red]")
            raise typer.Exit(code=1) from exc
        if message is not None:
            _answer(service.turn(patient, message, thread), as_json)
            return
        console.print(f"[bold]Chatting as patient {patient}[/bold]. Empty line or Ctrl-D to quit.")
        while True:
            try:
                line = console.input("[bold cyan]you>[/bold cyan] ").strip()
            except EOFError:
                break
            if not line:
                break
            result = service.turn(patient, line, thread)
            thread = result.thread_id
            _answer(result, as_json)


def _answer(result: object, as_json: bool) -> None:
    from agent.result import ChatResult

    assert isinstance(result, ChatResult)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    console.print(f"[bold green]assistant>[/bold green] {result.answer}")
    for citation in result.citations:
        console.print(f"  [dim][{citation.n}] {citation.title} ({citation.id})[/dim]")
        if citation.values:
            console.print(f"      {citation.values}", markup=False, style="dim")
    if result.escalation:
        e = result.escalation
        console.print(f"  [yellow]escalated: {e.kind} / {e.level} ({e.id}, {e.status})[/yellow]")
    console.print(f"  [dim]thread {result.thread_id} · {result.reasoner} · {result.ms:.0f} ms[/dim]")
