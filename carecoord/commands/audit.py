"""`carecoord audit`: check the hash chain and read the log."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()
err = Console(stderr=True)


@app.command("verify")
def verify() -> None:
    """Recompute the chain and check it against the anchors; exit 1 naming the first broken entry."""
    from carecoord.audit_anchor import AnchorError, read
    from carecoord.settings import get_settings
    from carecoord.wiring import open_services

    settings = get_settings()
    with open_services(settings) as services:
        try:
            anchors = read(settings.audit_anchors, services.audit.keys)
        except AnchorError as exc:
            err.print(f"[red]Audit anchors unusable: {exc}[/red]")
            raise typer.Exit(code=1) from None
        status = services.audit.verify(anchors)
    if not status.ok:
        err.print(f"[red]Audit chain broken at entry {status.first_broken}: {status.message}[/red]")
        raise typer.Exit(code=1)
    console.print(f"[green]{status.message}[/green]")
    if settings.audit_key is None:
        err.print("[yellow]The chain is not keyed: set CARECOORD_AUDIT_KEY (see docs/SECURITY.md).[/yellow]")
    elif not anchors:
        err.print(
            "[yellow]No anchors yet: run `carecoord audit anchor` (the API and console do it).[/yellow]"
        )


@app.command("anchor")
def anchor() -> None:
    """Append the signed chain head (seq, hash, time) to CARECOORD_AUDIT_ANCHOR_PATH."""
    from carecoord.audit_anchor import AnchorError
    from carecoord.settings import get_settings
    from carecoord.wiring import open_services

    settings = get_settings()
    with open_services(settings) as services:
        try:
            seq, hash_ = services.anchor_audit()
        except AnchorError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(code=1) from None
    console.print(f"Anchored entry {seq} ({hash_[:16]}…) in {settings.audit_anchors}")


@app.command("list")
def list_entries(
    actor: Annotated[str | None, typer.Option(help="Only this actor (a user name, or `agent`).")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. review.approve.")] = None,
    subject: Annotated[str | None, typer.Option(help="Only entries about this, e.g. Patient/p1.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the newest audit entries."""
    from carecoord.settings import get_settings
    from carecoord.wiring import open_services

    with open_services(get_settings()) as services:
        entries = services.audit.entries(actor=actor, action=action, limit=limit, subject=subject)
    if as_json:
        sys.stdout.write(json.dumps([e.model_dump(mode="json") for e in entries], indent=2) + "\n")
        return
    for entry in entries:
        console.print(
            f"{entry.seq:>6} {entry.time:%Y-%m-%d %H:%M:%S} {entry.actor:<12} {entry.action:<22} "
            f"{' '.join(entry.subjects)}"
        )
