"""`make bench`: the hallucination gate's AUROC on every detect suite, beside its style-only baselines.

Suites: the shipped detect suites (`evals/suites/`), K-QA imported in place from the shared data folder
when it is there, and any suite files named on the command line (an evaluator's imported MedHallu or
HaluEval: `python -m evals.detect_bench medhallu.jsonl`). Each row says plainly whether a baseline that
never reads the evidence scores as high as the verifier (see `DetectMetrics.finding`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from evals.detect_metrics import DetectMetrics
from evals.kqa import DEFAULT_DATA_DIR as KQA_DIR
from evals.runner import Engines, RunConfig, run_suites
from evals.suite import DetectCase, Suite, dump_cases, load_suite

SHIPPED = Path(__file__).with_name("suites")


def detect_suites(extra: list[Path], scratch: Path) -> list[Suite]:
    """Shipped detect suites, K-QA (imported into `scratch`, never into the repository), then `extra`."""
    suites = [s for s in (load_suite(p) for p in sorted(SHIPPED.glob("*.jsonl"))) if "detect" in s.kinds()]
    if (KQA_DIR / "NLI_medical_annotator.csv").is_file():
        from evals.importers import IMPORTERS

        path = scratch / "kqa.jsonl"
        dump_cases(IMPORTERS["kqa"](KQA_DIR), path)
        suites.append(load_suite(path))
    suites += [load_suite(p) for p in extra]
    return [s for s in suites if any(isinstance(c, DetectCase) for c in s.cases)]


def measure(suites: list[Suite], scratch: Path) -> dict[str, DetectMetrics]:
    """The offline stage's detect metrics per suite."""
    summary = run_suites(suites, Engines(), RunConfig(run_id="bench-detect"), scratch / "run")
    return {name: m.detect for name, m in summary.suites.items() if m.detect is not None}


app = typer.Typer(add_completion=False, help="The hallucination gate per detect suite, beside its baselines.")


@app.command()
def main(
    suites: Annotated[
        list[Path] | None, typer.Argument(help="More detect suites (JSONL) to measure.")
    ] = None,
) -> None:
    """Print the verifier's AUROC per detect suite with the style-only baselines."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    with tempfile.TemporaryDirectory(prefix="carecoord-detect-bench-") as folder:
        found = detect_suites(list(suites or []), Path(folder))
        if not found:
            console.print("No detect suite to measure (no shipped one, K-QA not found, none given).")
            return
        metrics = measure(found, Path(folder))
    table = Table(
        title="Hallucination gate per detect suite (offline stage; AUROC, positive class: supported)"
    )
    for column in (
        "suite",
        "items (supported)",
        "errors",
        "verifier (95% CI)",
        "evidence length",
        "claim length",
        "TF-IDF(claim)",
    ):
        table.add_column(column, justify="left" if column == "suite" else "right")
    for name, d in metrics.items():
        b = d.baselines
        ci = (
            f" ({d.auroc.low:.2f}-{d.auroc.high:.2f})"
            if d.auroc.low is not None and d.auroc.high is not None
            else ""
        )
        style = "red" if d.beaten_by() else "green"
        table.add_row(
            name,
            f"{d.items} ({d.supported})",
            str(d.errors),
            f"[{style}]{_auroc(d.auroc.value)}{ci}[/{style}]",
            _auroc(b.evidence_length_auroc),
            _auroc(b.claim_length_auroc),
            _auroc(b.tfidf_claim_auroc),
        )
    console.print(table)
    for name, d in metrics.items():
        console.print(f"- {d.finding(name)}")


def _auroc(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    app()
