"""The `carecoord` command: one typer app that mounts each part's own sub-commands.

Sub-command modules import their heavy dependencies (torch, chromadb, langgraph) inside the
command functions, so `carecoord --help` stays fast.
"""

from __future__ import annotations

import typer

from carecoord.commands.audit import app as audit_app
from carecoord.commands.chat import chat
from carecoord.commands.db import app as db_app
from carecoord.commands.knowledge import app as knowledge_app
from carecoord.commands.review import app as review_app
from carecoord.commands.up import down, up
from carecoord.commands.users import app as users_app
from evals.cli import app as eval_app
from tools.sandbox.cli import app as sandbox_app
from ui.api.cli import serve, tokens_app
from ui.console.cli import console

app = typer.Typer(
    name="carecoord",
    help="CareCoord: grounded, cited care-coordination answers with clinician review.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(
    sandbox_app, name="sandbox", help="Run and seed the local FHIR R4 sandbox (synthetic patients)."
)
app.add_typer(knowledge_app, name="knowledge", help="Ingest the clinical knowledge corpus and search it.")
app.add_typer(
    eval_app, name="eval", help="Benchmark suites: run, list, compare runs, model card, import datasets."
)
app.command("chat", help="Chat as one patient (offline reasoner by default; Claude when a key is set).")(chat)
app.add_typer(
    review_app, name="review", help="The clinician review queue: list items, approve, reject, answer."
)
app.add_typer(users_app, name="users", help="Clinician and admin accounts (bcrypt-hashed passwords).")
app.add_typer(audit_app, name="audit", help="The hash-chained audit log: verify it, read it.")
app.add_typer(db_app, name="db", help="The database schema: create or migrate every table.")

app.command("serve", help="Run the patient API and chat widget (uvicorn).")(serve)
app.add_typer(tokens_app, name="tokens", help="Mint and revoke patient tokens for the API.")
app.command("console", help="Serve the clinician console (Streamlit): queue, item review, audit, metrics.")(
    console
)
app.command("up", help="Start everything on this machine: seeded sandbox, index, API, console.")(up)
app.command("down", help="Stop what `carecoord up` started.")(down)


OUTAGE_EXIT = 3
"""Exit code when a store is down or full: a condition to retry, not a bug (those keep tracebacks)."""


CONFIGURATION_EXIT = 2
"""Exit code when the command cannot run as configured (e.g. no PHI keyring for sealed columns)."""


def _missing_keyring(exc: BaseException) -> str | None:
    """The message of a missing or unusable PHI keyring in `exc`'s chain (SQLAlchemy wraps what a column raises)."""
    from carecoord.keyring import TranscriptKeyError
    from carecoord.sealing import KeyringMissing

    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyringMissing | TranscriptKeyError):
            return str(current)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def main() -> None:
    """Entry point of `carecoord` and `python -m carecoord`: store outages get one clear line."""
    from carecoord.outages import MESSAGES, classify

    try:
        app()
    except Exception as exc:
        missing = _missing_keyring(exc)
        if missing is not None:
            typer.echo(f"Error (configuration): {missing}", err=True)
            raise SystemExit(CONFIGURATION_EXIT) from None
        outage = classify(exc)
        if outage is None:
            raise
        typer.echo(f"Error ({outage}): {MESSAGES[outage]}", err=True)
        raise SystemExit(OUTAGE_EXIT) from None
