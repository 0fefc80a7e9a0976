"""`carecoord eval ...`: run suites, list them, compare runs, write a model card, import datasets.

Heavy imports (the agent, torch, chromadb, matplotlib) happen inside the commands.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel, Field
from rich.console import Console

if TYPE_CHECKING:
    from carecoord.settings import Settings
    from carecoord.wiring import Services
    from evals.runner import Engines, RunConfig
    from evals.suite import Suite
    from evals.summary import Summary

console = Console()
err = Console(stderr=True)
SHIPPED = Path(__file__).with_name("suites")

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Hallucination and safety benchmark suites."
)


class SuiteRow(BaseModel):
    """One line of `eval list`."""

    name: str
    path: str
    items: int = 0
    kinds: dict[str, int] = Field(default_factory=dict)
    categories: list[str] = Field(default_factory=list)
    sha256: str = ""
    error: str | None = None


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(code=code)


@app.command("run")
def run(
    suites: Annotated[list[Path], typer.Argument(help="Suite files (JSONL), e.g. evals/suites/*.jsonl.")],
    reasoner: Annotated[str, typer.Option(help="offline or claude.")] = "offline",
    out: Annotated[Path | None, typer.Option(help="Run folder (default: DATA_DIR/evals/RUN_ID).")] = None,
    limit: Annotated[
        int | None, typer.Option(help="At most N items per suite, spread evenly through each file.")
    ] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(help="METRIC=VALUE: fail (exit 1) if METRIC < VALUE. Also METRIC>=V or METRIC<=V."),
    ] = None,
    fail_over: Annotated[
        list[str] | None, typer.Option(help="METRIC=VALUE: fail (exit 1) if METRIC > VALUE.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for patient choice and bootstrap intervals.")] = 0,
    gap_bound: Annotated[float, typer.Option(help="Flag subgroup gaps above this.")] = 0.1,
    min_group: Annotated[int, typer.Option(help="Smallest subgroup (items) whose gap is flagged.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary object as JSON.")] = False,
    judge: Annotated[
        bool,
        typer.Option(
            "--judge",
            help="Also run the gate's second stage (Claude's entailment judge) on detect items, reported "
            "separately. Needs ANTHROPIC_API_KEY; one Claude call per detect item.",
        ),
    ] = False,
) -> None:
    """Run suites through the agent, the hallucination gate and the retriever; write results and reports."""
    from evals.bounds import BoundError, check_known, parse_bounds
    from evals.runner import RunConfig, needed_kinds
    from evals.suite import SuiteError, load_suite
    from evals.summary import HEADLINE_NAMES

    if reasoner not in ("offline", "claude"):
        raise _fail("--reasoner must be 'offline' or 'claude'.")
    try:
        loaded = [load_suite(path) for path in suites]
    except SuiteError as exc:
        raise _fail(str(exc)) from exc
    names = [s.name for s in loaded]
    if len(set(names)) != len(names):
        raise _fail(f"two suites share a file name: {names}")
    try:
        bounds = parse_bounds(fail_under or [], fail_over or [])
        known = [*HEADLINE_NAMES, *(f"{s}.{m}" for s in names for m in HEADLINE_NAMES)]
        check_known(bounds, known)
    except BoundError as exc:
        raise _fail(str(exc)) from exc

    from carecoord.settings import get_settings

    settings = get_settings()
    if reasoner == "claude" and settings.anthropic_api_key is None:
        raise _fail(
            "--reasoner claude needs ANTHROPIC_API_KEY (otherwise every turn would be the offline fallback)."
        )
    key = settings.anthropic_api_key
    if judge and (key is None or not key.get_secret_value().strip()):
        raise _fail("--judge needs ANTHROPIC_API_KEY (the second stage is Claude).")
    model = settings.claude_model if reasoner == "claude" else "offline (intent exemplars + MiniLM, no LLM)"
    config = RunConfig(
        reasoner=reasoner,
        model=model,
        seed=seed,
        limit=limit,
        gap_bound=gap_bound,
        min_group_items=min_group,
        bounds=tuple(bounds),
        fhir_url=settings.fhir_url,
    )
    folder = out or settings.data_dir / "evals" / config.run_id
    kinds = needed_kinds(loaded, limit)
    summary = _execute(loaded, kinds, settings, config, folder, judge)
    if as_json:
        sys.stdout.write(summary.model_dump_json(indent=2) + "\n")
    else:
        _print_summary(summary, folder)
    missed = [b for b in summary.bounds if not b.passed]
    for bound in missed:
        measured = "not measured" if bound.measured is None else f"{bound.measured:g}"
        err.print(f"[red]FAILED bound {bound.metric} {bound.op} {bound.value:g}: measured {measured}[/red]")
    if missed:
        raise typer.Exit(code=1)


def _execute(
    loaded: list[Suite], kinds: set[str], settings: Settings, config: RunConfig, folder: Path, judge: bool
) -> Summary:
    """Build the engines the suites need, run them with a progress bar, write the reports."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from evals.report import write_reports
    from evals.results import AnyResult, read_results
    from evals.runner import run_suites
    from evals.suite import spread

    total = sum(len(spread(s.cases, config.limit)) for s in loaded)
    with ExitStack() as stack:
        engines = _engines(stack, kinds, settings, config, folder)
        if judge and "detect" in kinds:
            from agent.reasoners.claude_judge import ClaudeJudge
            from carecoord.wiring import claude_config

            engines.judge = ClaudeJudge.from_config(claude_config(settings))
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        ) as progress:
            task = progress.add_task("evaluating", total=total, failed=0)
            failed = 0

            def advance(result: AnyResult) -> None:
                nonlocal failed
                failed += not result.passed
                progress.update(task, advance=1, description=f"{result.suite}/{result.id}", failed=failed)

            summary = run_suites(loaded, engines, config, folder, on_item=advance)
            progress.update(task, description="done")
    write_reports(summary, read_results(folder / "results.jsonl"), folder)
    return summary


def _engines(
    stack: ExitStack, kinds: set[str], settings: Settings, config: RunConfig, folder: Path
) -> Engines:
    """The chat runner (agent over FHIR), the retriever and the verifier, as the suites need them."""
    from carecoord.wiring import open_services
    from evals.runner import Engines

    engines = Engines()
    services = stack.enter_context(open_services(settings))
    if "chat" in kinds:
        from evals.chat_runner import ChatRunner, open_eval_agent
        from evals.patients import PatientDirectory
        from tools.sandbox.daemon import answers

        if not answers(settings.fhir_url.rstrip("/")):
            raise _fail(
                f"No FHIR server answers at {settings.fhir_url}. Start and seed the sandbox first: "
                "`carecoord sandbox start && carecoord sandbox seed`."
            )
        _require_index(services)
        err.print("[dim]Loading the agent (embedding model, knowledge index, safety screen)...[/dim]")
        agent = stack.enter_context(open_eval_agent(services, config.reasoner, folder / "store"))
        directory = PatientDirectory(services.gateway, seed=config.seed)
        if not directory.patients():
            raise _fail(
                f"The FHIR server at {settings.fhir_url} has no patients: run `carecoord sandbox seed`."
            )
        engines.chat = ChatRunner(agent, directory)
        engines.retriever = agent.service.services.retriever
    elif "retrieval" in kinds:
        from knowledge.retriever import HybridRetriever

        _require_index(services)
        engines.retriever = HybridRetriever(services.index, services.embedder)
    return engines


def _require_index(services: Services) -> None:
    settings = services.settings
    if settings.chroma_url is None and not settings.chroma_path.exists():
        raise _fail(
            f"No knowledge index under {settings.chroma_path}: run `carecoord knowledge ingest` first."
        )
    if services.index.count() == 0:
        raise _fail("The knowledge index is empty: run `carecoord knowledge ingest` first.")


def _print_summary(summary: Summary, folder: Path) -> None:
    from rich.table import Table

    table = Table(title=f"Eval run {summary.provenance.run_id} ({summary.provenance.wall_s:.0f} s)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in summary.headline.items():
        if "." in name or value is None:
            continue
        table.add_row(
            name, f"{value:.3f}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"
        )
    console.print(table)
    console.print(
        f"Results, summary and reports in [bold]{folder}[/bold] (report.html, report.md, summary.json, results.jsonl)"
    )


@app.command("list")
def list_suites(
    folder: Annotated[Path, typer.Option(help="Where the suites are.")] = SHIPPED,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """The shipped suites and their sizes."""
    from rich.table import Table

    from evals.suite import SuiteError, load_suite

    rows: list[SuiteRow] = []
    for path in sorted(folder.glob("*.jsonl")):
        try:
            suite = load_suite(path)
        except SuiteError as exc:
            rows.append(SuiteRow(name=path.stem, path=str(path), error=str(exc)))
            continue
        categories = sorted({c.category for c in suite.cases})
        rows.append(
            SuiteRow(
                name=suite.name,
                path=str(path),
                items=len(suite.cases),
                kinds=suite.kinds(),
                categories=categories,
                sha256=suite.sha256,
            )
        )
    if as_json:
        sys.stdout.write(json.dumps([row.model_dump() for row in rows], indent=2) + "\n")
        return
    table = Table(title=f"Suites in {folder}")
    for column in ("suite", "items", "kinds", "categories", "sha256"):
        table.add_column(column)
    for row in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in row.kinds.items()) or f"[red]{row.error}[/red]"
        shown = ", ".join(row.categories[:6]) + (
            f" (+{len(row.categories) - 6})" if len(row.categories) > 6 else ""
        )
        table.add_row(row.name, str(row.items), kinds, shown, row.sha256[:12])
    console.print(table)


@app.command("compare")
def compare(
    run_a: Annotated[Path, typer.Argument(help="The earlier run folder.")],
    run_b: Annotated[Path, typer.Argument(help="The later run folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Metric deltas between two runs and the items that flipped between pass and fail."""
    from rich.table import Table

    from evals.compare import RunNotFound, compare_runs

    try:
        result = compare_runs(run_a, run_b)
    except RunNotFound as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    for caveat in result.caveats:
        err.print(f"[yellow]Not like for like: {caveat}[/yellow]")
    table = Table(title=f"{result.run_a} → {result.run_b}")
    for column in ("metric", "A", "B", "Δ"):
        table.add_column(column, justify="right" if column != "metric" else "left")
    for d in result.deltas:
        if "." in d.metric:
            continue
        whole = all(v is not None and float(v).is_integer() and abs(v) > 1 for v in (d.a, d.b))
        delta = "" if d.delta is None else (f"{d.delta:+.0f}" if whole else f"{d.delta:+.3f}")
        style = "" if not d.delta else ("green" if d.delta > 0 else "red")
        table.add_row(d.metric, _num(d.a), _num(d.b), f"[{style}]{delta}[/{style}]" if style else delta)
    console.print(table)
    if result.flips:
        flips = Table(title=f"{len(result.flips)} item(s) flipped")
        for column in ("suite", "item", "now", "why it fails"):
            flips.add_column(column)
        for f in result.flips:
            flips.add_row(
                f.suite,
                f.id,
                "[green]passes[/green]" if f.now == "passes" else "[red]fails[/red]",
                "; ".join(f.failures)[:160],
            )
        console.print(flips)
    else:
        console.print("No item flipped between pass and fail.")


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if float(value).is_integer() else f"{value:.3f}"


@app.command("model-card")
def model_card(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="A run folder.")],
    out: Annotated[Path, typer.Option(help="Where to write the card.")] = Path("MODEL_CARD.md"),
) -> None:
    """Write a model card (intended use, versions, metrics with subgroups, limitations) from a run."""
    from evals.compare import RunNotFound, load_run
    from evals.model_card import model_card as render

    try:
        summary, _ = load_run(run_dir)
    except RunNotFound as exc:
        raise _fail(str(exc)) from exc
    out.write_text(render(summary), encoding="utf-8")
    console.print(f"Model card written to [bold]{out}[/bold]")


@app.command("import")
def import_suite(
    format_: Annotated[
        str, typer.Argument(metavar="FORMAT", help="kqa, medhallu, halueval or medagentbench.")
    ],
    source: Annotated[Path, typer.Argument(metavar="SRC", help="The dataset file or folder, read in place.")],
    out: Annotated[Path, typer.Option(help="The suite file to write.")],
    limit: Annotated[int | None, typer.Option(help="Keep at most N items (spread evenly).")] = None,
) -> None:
    """Convert a third-party benchmark into a suite file (the source is never copied)."""
    from evals.importers import IMPORTERS
    from evals.suite import dump_cases, spread

    importer = IMPORTERS.get(format_)
    if importer is None:
        raise _fail(f"unknown format {format_!r}; choose from {', '.join(IMPORTERS)}")
    if not source.exists():
        raise _fail(f"{source} does not exist")
    try:
        cases = importer(source)
    except (KeyError, ValueError, FileNotFoundError, OSError) as exc:
        raise _fail(f"cannot import {source} as {format_}: {exc}") from exc
    if not cases:
        raise _fail(f"{source} holds no {format_} items")
    kept = list(spread(tuple(cases), limit))
    dump_cases(kept, out)
    console.print(f"Wrote {len(kept)} items to [bold]{out}[/bold]")
