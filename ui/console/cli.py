"""`carecoord console`: serve the clinician console with Streamlit.

The command replaces itself with `streamlit run` (exec), so signals and the exit code are Streamlit's
own and no wrapper process is left behind.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from carecoord.settings import Settings

APP = Path(__file__).with_name("app.py")
SERVER = Path(__file__).with_name("server.py")
"""What `streamlit run` serves: `app.py`'s pages and the session-cookie routes (`st.App`)."""
err = Console(stderr=True)


def streamlit_command(port: int, address: str) -> list[str]:
    """The `streamlit run` command line for the console (no telemetry, no browser tab)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(SERVER),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--server.fileWatcherType",
        "none",
        # A full collection after every script run costs ~0.5 s in a process that holds the agent's
        # models; Python's own collector still runs, over the young objects a run leaves behind.
        "--runner.postScriptGC",
        "false",
    ]


def settings_env(settings: Settings) -> dict[str, str]:
    """`CARECOORD_*` variables that hand these settings to the Streamlit process unchanged."""
    env = {
        "CARECOORD_DATA_DIR": str(settings.data_dir),
        "CARECOORD_FHIR_URL": settings.fhir_url,
        "CARECOORD_REASONER": settings.reasoner,
        "CARECOORD_REFILL_REPEATS": str(settings.refill_repeats),
    }
    if settings.database_url:
        env["CARECOORD_DATABASE_URL"] = settings.database_url
    if settings.vector_cache_dir:
        env["CARECOORD_VECTOR_CACHE_DIR"] = str(settings.vector_cache_dir)
    if settings.transcript_keys:
        keys = {key_id: secret.get_secret_value() for key_id, secret in settings.transcript_keys.items()}
        env["CARECOORD_TRANSCRIPT_KEYS"] = json.dumps(keys)
        env["CARECOORD_TRANSCRIPT_KEY_ID"] = settings.transcript_key_id
    if settings.audit_key is not None:
        env["CARECOORD_AUDIT_KEY"] = settings.audit_key.get_secret_value()
        retired = [key.get_secret_value() for key in settings.audit_retired_keys]
        env["CARECOORD_AUDIT_RETIRED_KEYS"] = json.dumps(retired)
    env["CARECOORD_AUDIT_ANCHOR_PATH"] = str(settings.audit_anchors)
    env["CARECOORD_REQUIRE_MFA"] = "1" if settings.require_mfa else "0"
    env["CARECOORD_CONSOLE_SESSION_HOURS"] = str(settings.console_session_hours)
    if settings.console_session_secret is not None:
        env["CARECOORD_CONSOLE_SESSION_SECRET"] = settings.console_session_secret.get_secret_value()
    if settings.demo_mode:
        env["CARECOORD_DEMO_MODE"] = "1"
    return env


def console(
    port: Annotated[int, typer.Option("--port", help="Port to serve the console on.")] = 8501,
    address: Annotated[
        str, typer.Option("--address", help="Interface to listen on (0.0.0.0 to share on the network).")
    ] = "127.0.0.1",
) -> None:
    """Serve the clinician console (queue, item review, audit, metrics)."""
    from carecoord.settings import get_settings
    from tools.sandbox.daemon import answers
    from ui.api.cli import DEMO_BANNER, is_loopback

    settings = get_settings()
    if settings.demo_mode and not is_loopback(address):
        err.print(f"[red]Demo mode serves the console on loopback only, not {address!r}.[/red]")
        raise typer.Exit(code=2)
    if settings.demo_mode:
        err.print(DEMO_BANNER, soft_wrap=True)
    if not answers(settings.fhir_url.rstrip("/"), timeout_s=2.0):
        err.print(
            f"[yellow]No FHIR server answers at {settings.fhir_url}: patient panels and approvals will fail "
            "until it does (`carecoord sandbox start`).[/yellow]"
        )
    env = {**os.environ, **settings_env(settings), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    err.print(f"[bold]CareCoord console[/bold] on http://{address}:{port}  (Ctrl-C to stop)")
    command = streamlit_command(port, address)
    try:
        os.execve(command[0], command, env)
    except OSError as exc:
        err.print(f"[red]Could not start Streamlit: {exc}[/red]")
        raise typer.Exit(code=1) from exc
