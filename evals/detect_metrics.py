"""Detect metrics: how well the verifier's score separates supported from unsupported claims.

Always reported beside style-only baselines (evidence length, claim length, TF-IDF of the claim
alone, from `evals.kqa.style_baselines`): a verifier is worth only what it adds above signals that
never compare claim with evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from evals.kqa import DetectItem, auroc, style_baselines
from evals.results import DetectItemResult
from evals.stats import Estimate, f1, ratio
from evals.suite import DetectCase

AUROC_REPS = 300


class StyleBaselines(BaseModel):
    """AUROC of signals that ignore whether the evidence states the claim (None: not computable)."""

    model_config = ConfigDict(frozen=True)

    evidence_length_auroc: float | None
    claim_length_auroc: float | None
    tfidf_claim_auroc: float | None


BASELINE_NAMES = {
    "evidence_length_auroc": "evidence length",
    "claim_length_auroc": "claim length",
    "tfidf_claim_auroc": "TF-IDF of the claim alone",
}


class JudgeMetrics(BaseModel):
    """The second stage (Claude's entailment judge) on the same items, measured on its own."""

    model_config = ConfigDict(frozen=True)

    judge: str
    items: int
    """Items the judge answered."""
    errors: int
    """Items whose judge call failed: left out of the judge's rates only."""
    auroc: Estimate
    precision: Estimate
    recall: Estimate
    accuracy: Estimate
    combined_precision: Estimate
    """Both stages as the agent applies them: supported only when the offline stage and the judge agree."""
    combined_recall: Estimate
    combined_accuracy: Estimate


class DetectMetrics(BaseModel):
    """The gate on detect items (positive class: supported, as in `evals.kqa`)."""

    model_config = ConfigDict(frozen=True)

    items: int
    supported: int
    errors: int = 0
    """Items that raised instead of being scored: counted here, left out of every rate below."""
    auroc: Estimate
    threshold: float
    precision: Estimate
    recall: Estimate
    f1: float | None
    accuracy: Estimate
    baselines: StyleBaselines
    judge: JudgeMetrics | None = None
    """The second stage, when the run asked for it."""

    def beaten_by(self) -> list[tuple[str, float]]:
        """Style-only baselines whose AUROC is at least the verifier's, best first."""
        mine = self.auroc.value
        if mine is None:
            return []
        found = [
            (BASELINE_NAMES[key], value)
            for key, value in self.baselines.model_dump().items()
            if value is not None and value >= mine
        ]
        return sorted(found, key=lambda pair: -pair[1])

    def finding(self, name: str) -> str:
        """One plain sentence: does the verifier beat the signals that never read the evidence?"""
        mine = self.auroc.value
        if mine is None:
            return (
                f"On {name}, the verifier's AUROC cannot be measured: every scored item has the same label."
            )
        beaten = self.beaten_by()
        if beaten:
            listed = " and ".join(f"{label} (AUROC {value:.3f})" for label, value in beaten)
            return (
                f"On {name}, a style-only baseline beats the verifier: {listed} against the verifier's "
                f"{mine:.3f}. A signal that never compares the claim with its evidence should not win, so "
                "either this dataset gives its labels away through style (supported and unsupported claims "
                "can be told apart without reading the evidence) or the verifier is weak here. Both are "
                "findings; the verifier's number on this suite is not evidence that it checks support."
            )
        known = [(BASELINE_NAMES[k], v) for k, v in self.baselines.model_dump().items() if v is not None]
        if not known:
            return f"On {name}, the verifier's AUROC is {mine:.3f}; no style-only baseline could be computed."
        label, best = max(known, key=lambda pair: pair[1])
        return (
            f"On {name}, the verifier's AUROC ({mine:.3f}) is above every style-only baseline; the best, "
            f"{label}, scores {best:.3f} (margin {mine - best:+.3f})."
        )


def detect_metrics(
    results: Sequence[DetectItemResult], cases: Sequence[DetectCase], threshold: float, seed: int = 0
) -> DetectMetrics:
    """AUROC (bootstrap interval), P/R/F1 at the verifier's own decisions, and the baselines.

    Items that raised (`error`) are counted and left out of every rate, the baselines included, so
    the verifier and its baselines are always measured on the same items.
    """
    scored = [(r, c) for r, c in zip(results, cases, strict=True) if r.score is not None]
    labels = [r.label == "supported" for r, _ in scored]
    scores = [r.score for r, _ in scored if r.score is not None]
    decided = [bool(r.predicted_supported) for r, _ in scored]
    precision = ratio([(float(d and y), float(d)) for d, y in zip(decided, labels, strict=True)], seed)
    recall = ratio([(float(d and y), float(y)) for d, y in zip(decided, labels, strict=True)], seed)
    items = [DetectItem(id=c.id, claim=c.claim, evidence=c.evidence, label=c.label) for _, c in scored]
    return DetectMetrics(
        items=len(results),
        supported=sum(r.label == "supported" for r in results),
        errors=len(results) - len(scored),
        auroc=_auroc_estimate(scores, labels, seed),
        threshold=threshold,
        precision=precision,
        recall=recall,
        f1=f1(precision.value, recall.value),
        accuracy=ratio([(float(r.passed), 1) for r, _ in scored], seed),
        baselines=_baselines(items),
        judge=_judge_metrics([r for r, _ in scored], seed),
    )


def _judge_metrics(results: Sequence[DetectItemResult], seed: int) -> JudgeMetrics | None:
    """The judge alone, and both stages together, over the items the judge answered."""
    records = [r for r in results if r.judge is not None]
    if not records:
        return None
    answered = [r for r in records if r.judge is not None and r.judge.score is not None]
    labels = [r.label == "supported" for r in answered]
    judged = [r.judge.verdict == "entailed" for r in answered if r.judge is not None]
    both = [j and bool(r.predicted_supported) for j, r in zip(judged, answered, strict=True)]

    def prf(decided: list[bool]) -> tuple[Estimate, Estimate, Estimate]:
        pairs = list(zip(decided, labels, strict=True))
        return (
            ratio([(float(d and y), float(d)) for d, y in pairs], seed),
            ratio([(float(d and y), float(y)) for d, y in pairs], seed),
            ratio([(float(d == y), 1) for d, y in pairs], seed),
        )

    precision, recall, accuracy = prf(judged)
    combined_precision, combined_recall, combined_accuracy = prf(both)
    scores = [r.judge.score for r in answered if r.judge is not None and r.judge.score is not None]
    first = records[0].judge
    return JudgeMetrics(
        judge=first.judge if first is not None else "",
        items=len(answered),
        errors=len(records) - len(answered),
        auroc=_auroc_estimate(scores, labels, seed),
        precision=precision,
        recall=recall,
        accuracy=accuracy,
        combined_precision=combined_precision,
        combined_recall=combined_recall,
        combined_accuracy=combined_accuracy,
    )


def _auroc_estimate(scores: list[float], labels: list[bool], seed: int) -> Estimate:
    if not scores:
        return Estimate(value=None, items=0, denominator=0.0)
    value = auroc(scores, labels)
    if value != value:  # NaN: one class only
        return Estimate(value=None, items=len(scores), denominator=float(len(scores)))
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(AUROC_REPS):
        picks = rng.integers(0, len(scores), size=len(scores))
        sample = auroc([scores[i] for i in picks], [labels[i] for i in picks])
        if sample == sample:
            samples.append(sample)
    low, high = np.percentile(samples, [2.5, 97.5]) if samples else (value, value)
    return Estimate(
        value=value, items=len(scores), denominator=float(len(scores)), low=float(low), high=float(high)
    )


def _baselines(items: list[DetectItem]) -> StyleBaselines:
    found = style_baselines(items)
    return StyleBaselines(
        evidence_length_auroc=_finite(found.evidence_length_auroc),
        claim_length_auroc=_finite(found.claim_length_auroc),
        tfidf_claim_auroc=_finite(found.tfidf_claim_auroc),
    )


def _finite(value: float) -> float | None:
    return None if value != value else value
