"""`carecoord db upgrade`: create or migrate every table, once, before the workers start."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()


@app.command("upgrade")
def upgrade() -> None:
    """Bring the configured database to the current schema (safe to run again)."""
    from carecoord.settings import get_settings
    from carecoord.wiring import create_schema

    settings = get_settings()
    create_schema(settings)
    console.print(f"Database schema is current ({settings.sqlalchemy_url.split('@')[-1]})")
