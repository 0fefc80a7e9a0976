"""`carecoord knowledge ingest|search`: build the index from the corpus and query it.

Heavy imports (torch via sentence-transformers, chromadb) happen inside the commands so that
`carecoord --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from carecoord.wiring import Services
    from knowledge.index import KnowledgeIndex
    from knowledge.ingest import IngestReport
    from knowledge.passage import RetrievalResult

app = typer.Typer(no_args_is_help=True)
err = Console(stderr=True)

INGEST_FAILED = 101
"""Exit code when ingestion could not run at all (skipped-file counts are capped at 100)."""


@app.command("ingest")
def ingest_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders to ingest (default: the shipped corpus).")
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the collection and ingest from scratch.")
    ] = False,
) -> None:
    """Ingest Markdown, text, HTML and PDF articles; exit code = number of skipped files (max 100)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from carecoord.settings import get_settings
    from carecoord.wiring import open_services
    from knowledge.ingest import ingest

    with open_services(get_settings()) as services:
        index = _open_index(services)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage.capitalize(), total=total)
                bar.update(tasks[stage], completed=done, total=total)

            report = ingest(paths or None, index, rebuild=rebuild, progress=progress)
    _print_ingest(report)
    raise typer.Exit(code=min(len(report.skipped), 100))


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="The question, in the patient's words.")],
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=50, help="How many passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of passages.")] = False,
) -> None:
    """Hybrid (dense + BM25) search over the ingested corpus."""
    from carecoord.settings import get_settings
    from carecoord.wiring import open_services
    from knowledge.retriever import HybridRetriever

    with open_services(get_settings()) as services:
        index = _open_index(services)
        if index.count() == 0:
            err.print("[red]The knowledge index is empty:[/] run `carecoord knowledge ingest` first.")
            raise typer.Exit(code=1)
        result = HybridRetriever(index, services.embedder).search(query, k=k)
    if as_json:
        sys.stdout.write(
            json.dumps([passage.to_json() for passage in result.passages], ensure_ascii=False) + "\n"
        )
        if result.abstain:
            err.print(f"abstain: nothing relevant enough (best similarity {result.best_score:.2f})")
        return
    _print_results(query, result)


def _open_index(services: Services) -> KnowledgeIndex:
    try:
        return services.index
    except ValueError as error:  # chromadb raises ValueError when a server cannot be reached
        settings = services.settings
        where = settings.chroma_url or settings.chroma_path
        err.print(f"[red]Cannot open the knowledge index at {where}:[/] {error}")
        raise typer.Exit(code=INGEST_FAILED) from error


def _print_ingest(report: IngestReport) -> None:
    out = Console(soft_wrap=True)  # one line per file, even when piped
    out.print(
        f"Ingested {report.files} files in {report.seconds:.1f}s: "
        f"{report.chunks_added} chunks added, {report.chunks_updated} updated, "
        f"{report.chunks_deleted} deleted, {report.chunks_unchanged} unchanged; "
        f"{report.chunks_total} in the index."
    )
    if report.skipped:
        out.print(f"[yellow]Skipped {len(report.skipped)} file(s):[/]")
        for skipped in report.skipped:
            out.print(f"  {skipped.path}: {skipped.reason}", markup=False, highlight=False)


def _print_results(query: str, result: RetrievalResult) -> None:
    from rich.table import Table

    out = Console(soft_wrap=True)
    if result.abstain:
        out.print(
            f"[yellow]Nothing in the knowledge base is relevant enough to answer this[/] "
            f"(best similarity {result.best_score:.2f}); closest passages below, for reference only."
        )
    table = Table(title=f"Results for: {query}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("article / section")
    table.add_column("text")
    for rank, passage in enumerate(result.passages, start=1):
        snippet = passage.text if len(passage.text) <= 300 else passage.text[:297] + "..."
        table.add_row(
            str(rank), f"{passage.score:.2f}", f"[bold]{passage.article_id}[/]\n{passage.section}", snippet
        )
    out.print(table)
