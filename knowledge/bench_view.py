"""Rich tables for the retrieval bench report."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from knowledge.bench_report import BenchReport


def render(report: BenchReport, echo: Callable[..., None] | None = None) -> None:
    """Print retriever scores, per-category recall@5, abstention, throughput, latency and goals."""
    out = echo or Console().print
    overall = Table(title=f"Retrieval: {report.questions} questions ({report.unanswerable} unanswerable)")
    for column in ("retriever", "recall@1", "recall@5", "MRR"):
        overall.add_column(column, justify="left" if column == "retriever" else "right")
    for retriever in report.retrievers:
        s = retriever.overall
        overall.add_row(retriever.name, f"{s.recall_at_1:.3f}", f"{s.recall_at_5:.3f}", f"{s.mrr:.3f}")
    out(overall)

    categories = Table(title="recall@5 / MRR by category")
    categories.add_column("category")
    categories.add_column("n", justify="right")
    for retriever in report.retrievers:
        categories.add_column(retriever.name, justify="right")
    for category, first in report.retrievers[0].by_category.items():
        cells = [
            f"{r.by_category[category].recall_at_5:.2f} / {r.by_category[category].mrr:.2f}"
            for r in report.retrievers
        ]
        categories.add_row(category, str(first.questions), *cells)
    out(categories)

    c = report.calibration
    out(
        f"Abstention accuracy {report.abstention_accuracy:.3f} at floor {c.current.floor:.2f} / novel-term "
        f"ceiling {c.current.novel_ceiling:.2f} ({report.false_abstentions} false abstentions, "
        f"{report.missed_abstentions} missed); best on the tune split: floor {c.best.floor:.2f} / ceiling "
        f"{c.best.novel_ceiling:.2f} -> {c.best_accuracy:.3f}"
    )
    if report.splits:
        splits = Table(title="Tune vs held-out split (the retriever was tuned on the tune split only)")
        for column in ("split", "n", "retriever", "recall@1", "recall@5", "MRR"):
            splits.add_column(column, justify="left" if column in ("split", "retriever") else "right")
        for name, split in report.splits.items():
            for retriever in split.retrievers:
                s = retriever.overall
                splits.add_row(
                    name,
                    str(split.questions),
                    retriever.name,
                    f"{s.recall_at_1:.3f}",
                    f"{s.recall_at_5:.3f}",
                    f"{s.mrr:.3f}",
                )
        out(splits)
        for name, split in report.splits.items():
            out(
                f"Abstention accuracy on {name}: {split.abstention_accuracy:.3f} (policy in use), "
                f"{split.calibrated_accuracy:.3f} (policy grid-searched on the tune split)"
            )
    ratios = ", ".join(f"{r:.2f}" for r in report.throughput_ratios)
    out(
        f"Ingest {report.ingest_chunks_per_s:.1f} chunks/s vs raw MiniLM encode {report.encode_chunks_per_s:.1f} "
        f"chunks/s of the same texts (medians): median ratio {report.throughput_ratio:.2f} over "
        f"{len(report.throughput_ratios)} interleaved pairs ({ratios})"
    )
    out(f"Query latency (warm): p50 {report.latency_p50_ms:.1f} ms, p95 {report.latency_p95_ms:.1f} ms")
    for goal, met in report.goals.items():
        out(f"  {'[green]PASS' if met else '[red]FAIL'}[/] {goal}")
