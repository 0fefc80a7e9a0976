"""`carecoord users`: add the clinicians and admins who decide review items."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()
err = Console(stderr=True)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name, e.g. drlee.")],
    role: Annotated[str, typer.Option("--role", help="clinician, admin or viewer (read-only).")],
    display: Annotated[str, typer.Option("--display", help='How patients see them, e.g. "Dr. Lee".')] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user (password from a prompt, or standard input)."""
    from carecoord.settings import get_settings
    from carecoord.users import UserError
    from carecoord.wiring import open_services

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_services(get_settings()) as services:
        try:
            user = services.users.add(name, password, role, display)
        except UserError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(code=1) from None
    console.print(f"Added {user.name} ({user.role}), shown to patients as {user.shown_as}.")


@app.command("list")
def list_users(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List active users and their roles."""
    from carecoord.settings import get_settings
    from carecoord.wiring import open_services

    with open_services(get_settings()) as services:
        users = services.users.list()
    if as_json:
        sys.stdout.write(json.dumps([u.model_dump() for u in users], indent=2) + "\n")
        return
    for user in users:
        console.print(f"{user.name}\t{user.role}\t{user.shown_as}")


mfa_app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(mfa_app, name="mfa", help="TOTP second factor (required at sign-in once enrolled).")


@mfa_app.command("enroll")
def mfa_enroll(name: Annotated[str, typer.Argument(help="The user to enroll, e.g. drlee.")]) -> None:
    """Give USER a new TOTP secret and print its otpauth:// URI (add it to an authenticator app)."""
    from carecoord.settings import get_settings
    from carecoord.users import UserError
    from carecoord.wiring import open_services

    with open_services(get_settings()) as services:
        try:
            uri = services.users.enroll_mfa(name)
        except UserError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(code=1) from None
        services.audit.append("admin-cli", "mfa_enroll", [f"user:{name}"], f"mfa_enroll:{name}")
    sys.stdout.write(uri + "\n")
