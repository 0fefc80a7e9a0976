"""`carecoord serve` (the patient API under uvicorn) and `carecoord tokens issue`."""

from __future__ import annotations

import ipaddress
import os
import sys
import tempfile
from typing import Annotated

import typer
from rich.console import Console

from carecoord.settings import Settings, get_settings

err = Console(stderr=True)
tokens_app = typer.Typer(no_args_is_help=True, help="Mint patient tokens for the API.")


def _settings() -> Settings:
    """Settings from the environment, or a one-line error and exit 2."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        err.print(f"[red]Invalid settings:[/red] {first.get('msg', exc)}", soft_wrap=True)
        raise typer.Exit(code=2) from None


DEMO_BANNER = (
    "[bold yellow]DEMO MODE[/bold yellow]: demo secrets, /demo/token mints patient tokens for anyone and "
    "/demo/patients lists the sandbox cohort. Never use it with real patient data."
)


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback interface (localhost, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Proxies trusted for X-Forwarded-For (default: CARECOORD_TRUSTED_PROXIES, i.e. none).",
        ),
    ] = None,
) -> None:
    """Run the patient API (sessions, streamed answers, widget, /docs, /metrics)."""
    import uvicorn

    from ui.api.app import check_settings
    from ui.api.logs import log_config

    settings = _settings()
    try:
        check_settings(settings)
    except ValueError as exc:
        err.print(f"[red]Cannot start the API:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    if settings.demo_mode and not is_loopback(host):
        err.print(
            f"[red]Cannot start the API:[/red] demo mode mints tokens for anyone; it binds to loopback only, "
            f"not {host!r}.",
            soft_wrap=True,
        )
        raise typer.Exit(code=2)
    if settings.demo_mode:
        err.print(DEMO_BANNER, soft_wrap=True)
    proxies = forwarded_allow_ips if forwarded_allow_ips is not None else ",".join(settings.trusted_proxies)
    if workers > 1 and settings.redis_url is None:
        err.print(
            "[yellow]Several workers without CARECOORD_REDIS_URL: each worker counts rate limits on its own.[/yellow]",
            soft_wrap=True,
        )
    if workers > 1 and settings.metrics_dir is None:
        # The CLI edge configures prometheus-client's multiprocess mode for the worker processes.
        folder = tempfile.mkdtemp(prefix="carecoord-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        os.environ["CARECOORD_METRICS_DIR"] = folder
    err.print(f"[dim]CareCoord API on http://{host}:{port} ({workers} worker(s)); docs at /docs[/dim]")
    uvicorn.run(
        "ui.api.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=log_config(),
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        timeout_graceful_shutdown=5,
    )


@tokens_app.command("issue")
def issue(
    patient: Annotated[str, typer.Option("--patient", help="Patient id the token binds.")],
    ttl: Annotated[str, typer.Option("--ttl", help="Lifetime, e.g. 15m, 1h, 2d.")] = "1h",
) -> None:
    """Print a patient token (HS256 JWT with a `patient` claim)."""
    from ui.api.auth import TokenConfigError, TokenService, parse_ttl

    settings = _settings()
    try:
        seconds = parse_ttl(ttl)
        tokens = TokenService.from_settings(settings)
    except (ValueError, TokenConfigError) as exc:
        err.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(code=2) from None
    sys.stdout.write(tokens.issue(patient, seconds) + "\n")
