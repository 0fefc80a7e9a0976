"""`carecoord review`: list the clinician review queue and decide items from the terminal."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from carecoord.review.service import DecisionOutcome, ReviewService
    from carecoord.wiring import Services

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()
err = Console(stderr=True)

AsUser = Annotated[str, typer.Option("--as", help="Your user name (role clinician or admin).")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read your password from standard input (and then your authenticator code, if enrolled).",
    ),
]
Totp = Annotated[
    str | None, typer.Option("--totp", help="Your authenticator's current code (asked for when enrolled).")
]
ItemId = Annotated[str, typer.Argument(help="Review item id, e.g. esc-1a2b3c4d5e6f.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@contextmanager
def _services() -> Iterator[Services]:
    """The services from settings; review errors become one red line and exit 1."""
    from carecoord.review.errors import ReviewError
    from carecoord.settings import get_settings
    from carecoord.users import UserError
    from carecoord.wiring import open_services
    from tools.errors import FhirError

    try:
        with open_services(get_settings()) as services:
            yield services
    except (ReviewError, UserError, FhirError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from None


@contextmanager
def _service() -> Iterator[ReviewService]:
    """The review service from settings; review errors become one red line and exit 1."""
    with _services() as services:
        yield services.review


@app.command("list")
def list_items(
    status: Annotated[
        str | None, typer.Option(help="pending, approved, rejected, answered, notifying, notified, expired.")
    ] = None,
    level: Annotated[str | None, typer.Option(help="routine, urgent or emergent.")] = None,
    kind: Annotated[
        str | None, typer.Option(help="action_approval, clinical_question, emergency, low_confidence.")
    ] = None,
    patient: Annotated[
        str | None, typer.Option(help="Only this patient's items (their id or a unique prefix of it).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List review items, most urgent and oldest first."""
    from carecoord.commands.review_table import matching, queue_table

    with _service() as service:
        items = service.list(status=status, level=level, kind=kind)
        everyone = {item.patient for item in service.list()}
    if patient is not None:
        chosen = matching(patient, everyone)
        if len(chosen) > 1:
            err.print(
                f"[red]Patient prefix {patient!r} matches {len(chosen)} patients; type more of it.[/red]"
            )
            raise typer.Exit(code=1)
        items = [item for item in items if item.patient in chosen]
    if as_json:
        sys.stdout.write(json.dumps([item.model_dump(mode="json") for item in items], indent=2) + "\n")
        return
    if not items:
        console.print("[dim]No review items.[/dim]")
        return
    console.print(queue_table(items, everyone))


@app.command("show")
def show(item_id: ItemId, as_json: AsJson = False) -> None:
    """Show one item: rationale, evidence, draft, decision and the thread's transcript."""
    with _service() as service:
        detail = service.detail(item_id)
    if as_json:
        sys.stdout.write(detail.model_dump_json(indent=2) + "\n")
        return
    console.print(f"[bold]{detail.id}[/bold] {detail.kind} / {detail.level} / {detail.status}")
    console.print(f"Patient {detail.patient} · thread {detail.thread} · due {detail.due:%Y-%m-%d %H:%M} UTC")
    if detail.notification:
        console.print(f"[bold]On-call notified[/bold] {detail.notification.shown()}")
    console.print(f"[bold]Summary[/bold] {detail.summary}")
    console.print(f"[bold]Rationale[/bold] {detail.rationale}")
    for citation in detail.evidence:
        console.print(f"  [{citation.n}] {citation.title}: [dim]{citation.quote}[/dim]")
    if detail.draft:
        console.print_json(json.dumps(detail.draft.resource))
    if detail.decided_by or detail.acknowledged_by:
        console.print(
            f"[bold]Decided[/bold] by {detail.decided_by or detail.acknowledged_by}: {detail.note or ''}"
        )
    for line in detail.transcript:
        console.print(f"  [dim]{line}[/dim]")


def _decided(outcome: DecisionOutcome, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(outcome.model_dump_json(indent=2) + "\n")
        return
    console.print(f"[green]{outcome.item_id}: {outcome.status} by {outcome.decided_by}[/green]")
    if outcome.fhir_reference:
        console.print(f"  wrote {outcome.fhir_reference}")
    if outcome.task_reference:
        console.print(f"  closed {outcome.task_reference}")
    if outcome.patient_message:
        console.print(f"  the patient sees: {outcome.patient_message}")


def _sign_in(services: Services, name: str, password_stdin: bool, totp: str | None) -> None:
    """Sign in as `--as` (password, then the TOTP code when enrolled); refused → audited, exit 1."""
    from carecoord.sign_in import SignInRefused

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        code = totp or sys.stdin.readline().strip()
    else:
        password = _ask(f"Password for {name}", hide=True)
        user = services.users.get(name)
        code = totp or (_ask("Authenticator code", hide=False) if user is not None and user.mfa else "")
    try:
        services.sign_in(name, password, code or None, f"cli:{getpass.getuser()}")
    except SignInRefused as exc:
        err.print(f"[red]authentication failed for {name!r}: {exc} Nothing was decided.[/red]")
        raise typer.Exit(code=1) from None


def _ask(prompt: str, hide: bool) -> str:
    """A prompt's answer; "" when there is no terminal to ask on."""
    try:
        return str(typer.prompt(prompt, hide_input=hide))
    except typer.Abort:
        return ""


def _run(
    action: Callable[[ReviewService], DecisionOutcome],
    as_json: bool,
    user: str,
    password_stdin: bool,
    totp: str | None,
) -> None:
    with _services() as services:
        _sign_in(services, user, password_stdin, totp)
        outcome = action(services.review)
    _decided(outcome, as_json)


@app.command("approve")
def approve(
    item_id: ItemId,
    user: AsUser,
    note: Annotated[str, typer.Option("--note", help="A note kept with the decision.")] = "",
    edited: Annotated[
        Path | None, typer.Option("--edited", help="A JSON file with the edited draft resource.")
    ] = None,
    as_json: AsJson = False,
    password_stdin: PasswordStdin = False,
    totp: Totp = None,
) -> None:
    """Approve a drafted action: write it to the EHR once, close the Task, tell the patient."""
    resource: dict[str, Any] | None = None
    if edited is not None:
        try:
            resource = json.loads(edited.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            err.print(f"[red]Cannot read the edited resource {edited}: {exc}[/red]")
            raise typer.Exit(code=1) from None
    _run(
        lambda s: s.approve(item_id, user, note=note, edited_resource=resource),
        as_json,
        user,
        password_stdin,
        totp,
    )


@app.command("reject")
def reject(
    item_id: ItemId,
    user: AsUser,
    reason: Annotated[str, typer.Option("--reason", help="Why (the patient is told).")],
    as_json: AsJson = False,
    password_stdin: PasswordStdin = False,
    totp: Totp = None,
) -> None:
    """Reject a drafted action; the patient is told why."""
    _run(lambda s: s.reject(item_id, user, reason), as_json, user, password_stdin, totp)


@app.command("answer")
def answer(
    item_id: ItemId,
    user: AsUser,
    text: Annotated[str, typer.Option("--text", help="Your reply to the patient.")],
    as_json: AsJson = False,
    password_stdin: PasswordStdin = False,
    totp: Totp = None,
) -> None:
    """Answer a patient's question; it reaches them marked as from the care team."""
    _run(lambda s: s.answer(item_id, user, text), as_json, user, password_stdin, totp)


@app.command("acknowledge")
def acknowledge(
    item_id: ItemId,
    user: AsUser,
    as_json: AsJson = False,
    password_stdin: PasswordStdin = False,
    totp: Totp = None,
) -> None:
    """Acknowledge an emergency item (the patient already had emergency instructions)."""
    _run(lambda s: s.acknowledge(item_id, user), as_json, user, password_stdin, totp)


@app.command("repair")
def repair(user: AsUser) -> None:
    """Finish decisions that were interrupted (a crash, the EHR unreachable) without repeating a step."""
    with _service() as service:
        outcomes = service.repair(user)
    console.print(f"Finished {len(outcomes)} interrupted decision(s).")
    for outcome in outcomes:
        _decided(outcome, as_json=False)


@app.command("expire")
def expire() -> None:
    """Mark open items past their due time as expired and cancel their Tasks."""
    with _service() as service:
        outcomes = service.expire_overdue()
    console.print(f"Expired {len(outcomes)} item(s).")
