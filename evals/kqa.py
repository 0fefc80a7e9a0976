"""Calibrate the hallucination gate on K-QA's physician-labelled claims.

Which evidence makes the labels meaningful. The K-QA README suggests evidence = the physician
answer, claim = `claim`, supported = Entailment. The data says otherwise: 385 of the 399 claims are
verbatim entries of that question's physician `Must_have` / `Nice_to_have` lists (the rest are
lightly edited ones), so the physician answer states essentially every claim, Entailment and
Neutral alike. Each row pairs one physician claim with one model's answer (`llm_x`, `answer`),
and the label records whether that MODEL answer entails the claim: it is K-QA's comprehensiveness
annotation. So the meaningful pairing, and the primary calibration set, is evidence = model answer
(does the cited text state this claim?); the physician pairing is reported beside it only to show
that its labels carry no signal for a support checker (AUROC near 0.5 for any method that reads
the evidence). Contradiction (12) counts as unsupported. Three claims whose question text has no
match in `questions_w_answers.jsonl` are dropped from the physician pairing.

Every score is shown beside style-only baselines that never compare claim with evidence
(evidence length, claim length, a TF-IDF-of-the-claim logistic regression cross-validated with
claims grouped by evidence): a verifier is only worth its AUROC above those.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal

import typer

from agent.grounding.verifier import Verifier
from evals.jsonl import decode, numbered_lines

EvidenceKind = Literal["model_answer", "physician_answer"]
Label = Literal["supported", "unsupported"]


def _shared_kqa() -> Path:
    """`shared/data/kqa` in the nearest folder above the repository that has one.

    `../shared/data/kqa` from the main checkout; a git worktree sits a level or two deeper, and must
    find the same copy rather than skip the K-QA checks.
    """
    repo = Path(__file__).resolve().parents[1]
    for folder in repo.parents:
        candidate = folder / "shared" / "data" / "kqa"
        if (candidate / "NLI_medical_annotator.csv").is_file():
            return candidate
    return repo.parent / "shared" / "data" / "kqa"


DEFAULT_DATA_DIR = _shared_kqa()
"""The shared copy, read in place (`../shared/data/kqa` from the repository root)."""


@dataclass(frozen=True)
class DetectItem:
    """One claim, the text it must be supported by, and the physicians' verdict."""

    id: str
    claim: str
    evidence: list[str]
    label: Label


F1_TOLERANCE = 0.015
"""How much F1 the recommended threshold may give up for precision. K-QA's F1 curve is flat from
coverage 0.27 to 0.38 (within 0.012 of its maximum, 0.657 at 0.29) while precision climbs from
0.51 to 0.56, and a gate should rather drop a true sentence than pass an invented one. (An F0.5
argmax was tried and rejected: F0.5 is flat from 0.36 to 0.61, so its argmax is noise.)"""


@dataclass(frozen=True)
class ThresholdPoint:
    """Decision quality when `supported` means score >= threshold (positive class: supported)."""

    threshold: float
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Baselines:
    """AUROC of signals that ignore whether the evidence states the claim (best direction taken)."""

    evidence_length_auroc: float
    claim_length_auroc: float
    tfidf_claim_auroc: float


@dataclass(frozen=True)
class CalibrationReport:
    """How well the verifier's score separates supported from unsupported claims, and where to cut."""

    evidence: str
    n_items: int
    n_supported: int
    auroc: float
    coverage_auroc: float
    """Coverage alone, atoms ignored: what the atom check adds is `auroc - coverage_auroc`."""
    best_f1: ThresholdPoint
    recommended: ThresholdPoint
    """The highest threshold whose F1 is within `F1_TOLERANCE` of the best: precision first."""
    at_verifier_threshold: ThresholdPoint
    baselines: Baselines


def load_kqa_detect_items(data_dir: Path, evidence: EvidenceKind) -> list[DetectItem]:
    """K-QA's NLI claims paired with the chosen evidence (see the module docstring for which)."""
    physician: dict[str, str] = {}
    for _, line in numbered_lines(decode((data_dir / "questions_w_answers.jsonl").read_bytes())):
        record = json.loads(line)
        physician[record["Question"].strip()] = record["Free_form_answer"]
    items: list[DetectItem] = []
    with (data_dir / "NLI_medical_annotator.csv").open(encoding="utf-8-sig", newline="") as rows:
        for row in csv.DictReader(rows):
            text = row["answer"] if evidence == "model_answer" else physician.get(row["Question"].strip())
            if text is None:
                continue
            label: Label = "supported" if row["majority_label"] == "Entailment" else "unsupported"
            items.append(DetectItem(id=f"kqa-{row['']}", claim=row["claim"], evidence=[text], label=label))
    return items


def calibrate(
    items: Sequence[DetectItem], verifier_factory: Callable[[], Verifier], *, evidence: str = "unspecified"
) -> CalibrationReport:
    """Score every item, measure AUROC and the operating points, and the style-only baselines."""
    if not items:
        raise ValueError("no items to calibrate on")
    verifier = verifier_factory()
    verdicts = [verifier.check(item.claim, item.evidence) for item in items]
    labels = [item.label == "supported" for item in items]
    scores = [v.score for v in verdicts]
    decided = [v.supported for v in verdicts]
    points = _operating_points(scores, labels)
    best_f1 = max(p.f1 for p in points)
    return CalibrationReport(
        evidence=evidence,
        n_items=len(items),
        n_supported=sum(labels),
        auroc=auroc(scores, labels),
        coverage_auroc=auroc([v.coverage for v in verdicts], labels),
        best_f1=max(points, key=lambda p: (p.f1, p.threshold)),
        recommended=max((p for p in points if p.f1 >= best_f1 - F1_TOLERANCE), key=lambda p: p.threshold),
        at_verifier_threshold=_point(verifier.threshold, decided, labels),
        baselines=style_baselines(items),
    )


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    positives = sum(labels)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def style_baselines(items: Sequence[DetectItem]) -> Baselines:
    """Signals a verifier must beat: lengths, and what the claim's wording alone predicts."""
    labels = [item.label == "supported" for item in items]
    evidence_length = [float(sum(len(t) for t in item.evidence)) for item in items]
    claim_length = [float(len(item.claim.split())) for item in items]
    return Baselines(
        evidence_length_auroc=_either_direction(auroc(evidence_length, labels)),
        claim_length_auroc=_either_direction(auroc(claim_length, labels)),
        tfidf_claim_auroc=_tfidf_claim_auroc(items, labels),
    )


def _tfidf_claim_auroc(items: Sequence[DetectItem], labels: list[bool]) -> float:
    """Out-of-fold AUROC of a TF-IDF logistic regression on the claim text alone.

    Up to 5 folds, claims grouped by their evidence so one answer's claims never straddle folds;
    NaN when there are too few groups or examples of a class to hold any out.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold

    claims = [item.claim for item in items]
    group_of: dict[tuple[str, ...], int] = {}
    groups = [group_of.setdefault(tuple(item.evidence), len(group_of)) for item in items]
    folds = min(5, len(group_of), sum(labels), len(labels) - sum(labels))
    if folds < 2:
        return math.nan
    predicted = [0.0] * len(items)
    for train, test in StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0).split(
        claims, labels, groups
    ):
        train_labels = [labels[i] for i in train]
        if len(set(train_labels)) < 2:
            for i in test:
                predicted[i] = float(train_labels[0])
            continue
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        model = LogisticRegression(max_iter=1000)
        model.fit(vectorizer.fit_transform([claims[i] for i in train]), train_labels)
        probabilities = model.predict_proba(vectorizer.transform([claims[i] for i in test]))[:, 1]
        for i, p in zip(test, probabilities, strict=True):
            predicted[i] = float(p)
    return auroc(predicted, labels)


def _either_direction(value: float) -> float:
    return max(value, 1.0 - value)


def _point(threshold: float, decided: Sequence[bool], labels: Sequence[bool]) -> ThresholdPoint:
    tp = sum(d and y for d, y in zip(decided, labels, strict=True))
    predicted, actual = sum(decided), sum(labels)
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ThresholdPoint(threshold=round(threshold, 4), precision=precision, recall=recall, f1=f1)


def _operating_points(scores: Sequence[float], labels: Sequence[bool]) -> list[ThresholdPoint]:
    """One point per distinct positive score (a cut at 0 would pass sentences with missing atoms)."""
    cuts = sorted({s for s in scores if s > 0}) or [1.0]
    return [_point(t, [s >= t for s in scores], labels) for t in cuts]


app = typer.Typer(add_completion=False, help="Calibrate the hallucination gate on K-QA.")


@app.command()
def main(
    data_dir: Annotated[Path, typer.Option(help="Folder holding K-QA's two files.")] = DEFAULT_DATA_DIR,
    evidence: Annotated[
        str, typer.Option(help="model_answer, physician_answer, or both (primary first).")
    ] = "both",
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Print AUROC, operating points and style-only baselines for the default Verifier."""
    from rich.console import Console

    console = Console()
    kinds: list[EvidenceKind] = ["model_answer", "physician_answer"]
    if evidence != "both":
        if evidence not in kinds:
            console.print(f"[red]--evidence must be model_answer, physician_answer or both, not {evidence!r}")
            raise typer.Exit(code=2)
        kinds = [kind for kind in kinds if kind == evidence]
    if not (data_dir / "NLI_medical_annotator.csv").is_file():
        console.print(f"[red]K-QA data not found in {data_dir} (expected NLI_medical_annotator.csv)")
        raise typer.Exit(code=2)
    reports = [calibrate(load_kqa_detect_items(data_dir, k), Verifier, evidence=k) for k in kinds]
    if as_json:
        console.print_json(json.dumps([asdict(r) for r in reports]))
    else:
        console.print(_table(reports))


def _table(reports: Sequence[CalibrationReport]) -> object:
    from rich.table import Table

    table = Table(title="Hallucination gate on K-QA (positive class: supported)")
    table.add_column("metric")
    for report in reports:
        table.add_column(f"evidence = {report.evidence}", justify="right")

    def row(name: str, value: Callable[[CalibrationReport], str]) -> None:
        table.add_row(name, *(value(r) for r in reports))

    row("claims (supported)", lambda r: f"{r.n_items} ({r.n_supported})")
    row("verifier AUROC", lambda r: f"{r.auroc:.3f}")
    row("coverage-only AUROC", lambda r: f"{r.coverage_auroc:.3f}")
    row("baseline: evidence length AUROC", lambda r: f"{r.baselines.evidence_length_auroc:.3f}")
    row("baseline: claim length AUROC", lambda r: f"{r.baselines.claim_length_auroc:.3f}")
    row("baseline: TF-IDF(claim) LR AUROC", lambda r: f"{r.baselines.tfidf_claim_auroc:.3f}")
    for name, pick in (
        ("max F1", lambda r: r.best_f1),
        ("recommended", lambda r: r.recommended),
        ("Verifier default", lambda r: r.at_verifier_threshold),
    ):
        row(f"{name}: threshold", lambda r, pick=pick: f"{pick(r).threshold:.3f}")  # type: ignore[misc]
        row(f"{name}: P / R / F1", lambda r, pick=pick: _prf(pick(r)))  # type: ignore[misc]
    return table


def _prf(point: ThresholdPoint) -> str:
    return f"{point.precision:.3f} / {point.recall:.3f} / {point.f1:.3f}"


if __name__ == "__main__":
    app()
