"""`carecoord up` and `carecoord down`: the whole system on one machine, for the demo and for pilots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from carecoord.commands.closing import Closing

console = Console()

DEMO_USER = ("demo", "demo-clinician")
"""A clinician account created in demo mode only, so the console can be tried at once."""


def up(
    api_port: Annotated[int, typer.Option(help="Port of the patient API and widget.")] = 8000,
    console_port: Annotated[int, typer.Option(help="Port of the clinician console.")] = 8501,
    patients: Annotated[int, typer.Option(help="Synthetic patients to seed when the sandbox is empty.")] = 60,
    demo: Annotated[
        bool, typer.Option("--demo/--no-demo", help="Demo mode: token minting, demo clinician.")
    ] = True,
    scale: Annotated[
        bool,
        typer.Option(
            "--scale",
            help="Scale-out mode: PostgreSQL, Redis and a Chroma server instead of embedded stores, "
            "and several API workers.",
        ),
    ] = False,
    workers: Annotated[int, typer.Option(min=1, help="API worker processes in --scale mode.")] = 2,
    chroma_port: Annotated[int, typer.Option(help="Port of the Chroma server --scale starts.")] = 8001,
) -> None:
    """Start the sandbox (seeded), build the index, and start the API and the console."""
    import httpx

    from carecoord.services import Service, start
    from carecoord.settings import DEMO_MARKER, get_settings
    from carecoord.topology import chroma_service, ensure_database, scale_env, scale_settings
    from carecoord.wiring import create_schema, open_services
    from knowledge.ingest import ingest
    from tools.sandbox.cohort import build_cohort, load_cohort
    from tools.sandbox.daemon import start_background

    settings = get_settings().in_demo_mode() if demo else get_settings()
    data_dir = settings.data_dir
    env = {"CARECOORD_DATA_DIR": str(Path(data_dir).resolve())}
    if scale:
        chroma_started = settings.chroma_url is None
        settings = scale_settings(settings, chroma_port)
        assert settings.database_url is not None
        if ensure_database(settings.database_url):
            console.print(f"PostgreSQL: created the database of {settings.database_url}")
        create_schema(settings)
        if chroma_started:
            chroma = chroma_service(data_dir, chroma_port)
            console.print(f"Chroma server: {chroma.public_url} ({start(chroma, data_dir, {})})")
        env.update(scale_env(settings))
    if settings.uses_default_sandbox:
        result = start_background(data_dir, settings.sandbox_host, settings.sandbox_port)
        console.print(
            f"FHIR sandbox: {result.url} ({'already running' if result.already_running else 'started'})"
        )
    total = (
        httpx.get(f"{settings.fhir_url}/Patient", params={"_count": "1"}, timeout=30).json().get("total", 0)
    )
    if total < patients:
        with console.status(f"Seeding {patients} synthetic patients…"):
            report = load_cohort(settings.fhir_url, build_cohort(patients=patients, seed=7))
        console.print(f"Seeded {report.resources} resources in {report.seconds:.1f}s")
    with console.status("Building the knowledge index…"):
        # Chunk embeddings are cached beside the exemplar vectors: a rebuild re-embeds only what changed.
        with open_services(settings) as services:
            indexed = ingest(
                None, services.index, vector_cache=settings.vectors_cache.parent / "chunk-vectors"
            )
    console.print(f"Knowledge index: {indexed.chunks_total} chunks ({indexed.chunks_added} new)")
    if demo:
        env["CARECOORD_DEMO_MODE"] = "true"
        (data_dir / DEMO_MARKER).write_text(
            "Made by `carecoord up --demo`: this data dir is sealed with the demo keys, and every\n"
            "carecoord command run on it uses demo mode. Delete the data dir to leave demo mode.\n"
        )
        with open_services(settings) as services:
            users = services.stores.users
            if users.get(DEMO_USER[0]) is None:
                users.add(DEMO_USER[0], DEMO_USER[1], "clinician", display_name="Dr. Demo")
    api = Service(
        "api",
        ("serve", "--port", str(api_port), "--workers", str(workers if scale else 1)),
        f"http://127.0.0.1:{api_port}/healthz",
        f"http://127.0.0.1:{api_port}/",
    )
    clinician = Service(
        "console",
        ("console", "--port", str(console_port)),
        f"http://127.0.0.1:{console_port}/_stcore/health",
        f"http://127.0.0.1:{console_port}/",
    )
    for service in (api, clinician):
        with console.status(f"Starting {service.name}…"):
            state = start(service, data_dir, env)
        console.print(f"{service.name}: {service.public_url} ({state})")
    console.print()
    console.print("[bold]CareCoord is running:[/bold]")
    closing = Closing(
        api_port=api_port,
        console_port=console_port,
        fhir_url=settings.fhir_url,
        demo_login=DEMO_USER if demo else None,
        stores=f"{settings.database_url}, {settings.redis_url}" if scale else None,
        chroma_url=settings.chroma_url if scale else None,
    )
    for line in closing.lines():
        console.print(line, soft_wrap=True, markup=False, highlight=False)


def down() -> None:
    """Stop the API, the console, the Chroma server and the sandbox started by `up`."""
    from carecoord.services import stop
    from carecoord.settings import get_settings
    from tools.sandbox.daemon import stop_background

    data_dir = get_settings().data_dir
    for name in ("api", "console", "chroma"):
        console.print(f"{name}: {'stopped' if stop(name, data_dir) else 'not running'}")
    console.print(f"sandbox: {stop_background(data_dir)}")
