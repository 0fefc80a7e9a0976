"""`carecoord serve` (the patient API under uvicorn) and `carecoord tokens issue|revoke|revoked`."""

from __future__ import annotations

import getpass
import ipaddress
import os
import sys
import tempfile
from typing import Annotated

import jwt
import typer
from rich.console import Console

from carecoord.settings import Settings, get_settings

err = Console(stderr=True)
tokens_app = typer.Typer(no_args_is_help=True, help="Mint and revoke patient tokens for the API.")


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
    try:
        token = tokens.issue(patient, seconds)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(code=2) from None
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    err.print(f"[dim]jti {jti} (revoke with `carecoord tokens revoke {jti}`)[/dim]", soft_wrap=True)
    sys.stdout.write(token + "\n")


@tokens_app.command("revoke")
def revoke(
    jti: Annotated[str, typer.Argument(help="The token's `jti` claim (printed by `tokens issue`).")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit log.")] = "",
) -> None:
    """Revoke one patient token: every API process refuses it from now on (audited)."""
    from carecoord.wiring import open_services

    with open_services(_settings()) as services:
        try:
            new = services.revocations.revoke(jti, f"cli:{getpass.getuser()}", reason)
        except ValueError as exc:
            err.print(f"[red]{exc}[/red]", soft_wrap=True)
            raise typer.Exit(code=2) from None
    err.print(f"Revoked token {jti}." if new else f"Token {jti} was already revoked.")


@tokens_app.command("revoked")
def revoked(limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50) -> None:
    """List revoked tokens and console sessions."""
    from carecoord.wiring import open_services

    with open_services(_settings()) as services:
        rows = services.revocations.list(limit)
    for row in rows:
        sys.stdout.write(f"{row.jti}\t{row.revoked_at:%Y-%m-%d %H:%M:%S}\t{row.revoked_by}\t{row.reason}\n")
