"""`carecoord up` and `carecoord down`: the whole system on one machine, for the demo and for pilots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

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

    from carecoord.app_services import open_review_stores
    from carecoord.schema import create_schema
    from carecoord.services import Service, start
    from carecoord.settings import get_settings
    from carecoord.topology import chroma_service, ensure_database, scale_env, scale_settings
    from knowledge.ingest import ingest
    from tools.sandbox.cohort import build_cohort, load_cohort
    from tools.sandbox.daemon import start_background

    settings = get_settings()
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
        indexed = ingest(None, settings, vector_cache=settings.vectors_cache.parent / "chunk-vectors")
    console.print(f"Knowledge index: {indexed.chunks_total} chunks ({indexed.chunks_added} new)")
    if demo:
        env["CARECOORD_DEMO_MODE"] = "true"
        with open_review_stores(settings) as stores:
            if stores.users.get(DEMO_USER[0]) is None:
                stores.users.add(DEMO_USER[0], DEMO_USER[1], "clinician", display_name="Dr. Demo")
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
    console.print(f"  Patient chat (demo page)  http://127.0.0.1:{api_port}/")
    console.print(f"  API docs                  http://127.0.0.1:{api_port}/docs")
    console.print(
        f"  Clinician console         http://127.0.0.1:{console_port}/"
        + (f"  (login {DEMO_USER[0]} / {DEMO_USER[1]})" if demo else "")
    )
    console.print(f"  FHIR sandbox              {settings.fhir_url}")
    if scale:
        console.print(f"  Stores                    {settings.database_url}, {settings.redis_url}")
        console.print(f"  Knowledge index (Chroma)  {settings.chroma_url}")
    console.print("  Stop everything           make stop   (or: carecoord down)")


def down() -> None:
    """Stop the API, the console, the Chroma server and the sandbox started by `up`."""
    from carecoord.services import stop
    from carecoord.settings import get_settings
    from tools.sandbox.daemon import stop_background

    data_dir = get_settings().data_dir
    for name in ("api", "console", "chroma"):
        console.print(f"{name}: {'stopped' if stop(name, data_dir) else 'not running'}")
    console.print(f"sandbox: {stop_background(data_dir)}")
