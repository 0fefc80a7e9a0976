"""The report's plots as PNG bytes (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from evals.kqa import auroc  # noqa: E402
from evals.results import ESCALATION_CLASSES, DetectItemResult  # noqa: E402
from evals.stats import Estimate  # noqa: E402
from evals.subgroups import Dimension  # noqa: E402

BLUE = "#2f6db5"
GREY = "#9aa5b1"
RED = "#c0392b"
DPI = 110


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def metric_bars(estimates: Sequence[tuple[str, Estimate]], title: str) -> bytes:
    """Horizontal bars with 95% intervals; n beside each bar."""
    shown = [(name, e) for name, e in estimates if e.value is not None]
    figure, axis = plt.subplots(figsize=(7.5, 0.42 * max(len(shown), 2) + 1.0))
    names = [name for name, _ in shown]
    values = [e.value or 0.0 for _, e in shown]
    low = [max(0.0, (e.value or 0.0) - (e.low if e.low is not None else e.value or 0.0)) for _, e in shown]
    high = [max(0.0, (e.high if e.high is not None else e.value or 0.0) - (e.value or 0.0)) for _, e in shown]
    positions = np.arange(len(shown))
    axis.barh(positions, values, color=BLUE, xerr=[low, high], capsize=3, ecolor="#333333")
    for y, (_, estimate) in zip(positions, shown, strict=True):
        axis.text(1.02, float(y), f"{estimate.value:.2f}  (n={estimate.items})", va="center", fontsize=8)
    axis.set_yticks(positions, names, fontsize=9)
    axis.invert_yaxis()
    axis.set_xlim(0, 1.0)
    axis.set_xlabel("rate (whiskers: 95% interval)")
    axis.set_title(title, fontsize=11)
    axis.grid(axis="x", alpha=0.3)
    return _png(figure)


def confusion_matrix(matrix: Sequence[Sequence[int]]) -> bytes:
    """Expected escalation (rows) against what the agent did (columns), counts in the cells."""
    data = np.array(matrix, dtype=float)
    figure, axis = plt.subplots(figsize=(5.2, 4.4))
    shade = data / np.maximum(data.sum(axis=1, keepdims=True), 1)
    axis.imshow(shade, cmap="Blues", vmin=0, vmax=1)
    labels = list(ESCALATION_CLASSES)
    axis.set_xticks(range(len(labels)), labels)
    axis.set_yticks(range(len(labels)), labels)
    axis.set_xlabel("what the agent did")
    axis.set_ylabel("what the suite expected")
    for i in range(len(labels)):
        for j in range(len(labels)):
            count = int(data[i, j])
            colour = "white" if shade[i, j] > 0.6 else ("#b03a2e" if i > j and count else "black")
            axis.text(j, i, str(count), ha="center", va="center", color=colour, fontsize=11)
    axis.set_title("Escalation: expected vs. actual (below the diagonal = under-triage)", fontsize=10)
    return _png(figure)


def latency_histogram(latencies_ms: Sequence[float], p50: float | None, p95: float | None) -> bytes:
    """Per-turn latency, with the median and 95th percentile marked."""
    figure, axis = plt.subplots(figsize=(7.0, 3.2))
    axis.hist(latencies_ms, bins=min(40, max(5, len(latencies_ms) // 4)), color=BLUE, alpha=0.85)
    for value, label, style in ((p50, "p50", "--"), (p95, "p95", ":")):
        if value is not None:
            axis.axvline(value, color=RED, linestyle=style, label=f"{label} {value:.0f} ms")
    axis.set_xlabel("turn latency (ms)")
    axis.set_ylabel("turns")
    axis.legend(fontsize=8)
    axis.set_title("How long a patient waits for an answer", fontsize=11)
    return _png(figure)


def subgroup_chart(dimensions: Sequence[Dimension], metrics: Sequence[str]) -> bytes:
    """One panel per dimension: each group's rates side by side, with intervals and item counts."""
    figure, axes = plt.subplots(len(dimensions), 1, figsize=(8.0, 2.4 * len(dimensions) + 0.4), squeeze=False)
    width = 0.8 / max(len(metrics), 1)
    colours = [BLUE, "#e67e22", "#27ae60", "#8e44ad"]
    for axis, dimension in zip(axes[:, 0], dimensions, strict=True):
        groups = dimension.groups
        x = np.arange(len(groups))
        for k, metric in enumerate(metrics):
            estimates = [g.pass_rate if metric == "pass_rate" else g.rates[metric] for g in groups]
            values = [e.value if e.value is not None else np.nan for e in estimates]
            low = [
                max(0.0, (e.value - e.low)) if e.value is not None and e.low is not None else 0.0
                for e in estimates
            ]
            high = [
                max(0.0, (e.high - e.value)) if e.value is not None and e.high is not None else 0.0
                for e in estimates
            ]
            axis.bar(
                x + (k - (len(metrics) - 1) / 2) * width,
                values,
                width,
                yerr=[low, high],
                capsize=2,
                color=colours[k % len(colours)],
                label=metric,
            )
        labels = [f"{textwrap.fill(g.value, 18)}\n(n={g.items})" for g in groups]
        axis.set_xticks(x, labels, fontsize=8)
        axis.set_ylim(0, 1.05)
        axis.set_ylabel(dimension.name.replace("_", " "), fontsize=9)
        axis.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(fontsize=8, ncol=len(metrics), loc="lower left", bbox_to_anchor=(0, 1.02))
    figure.suptitle("Chat metrics by patient subgroup (bars: 95% intervals)", fontsize=11, y=1.0)
    figure.tight_layout()
    return _png(figure)


def roc_curves(results: Sequence[DetectItemResult]) -> bytes:
    """The verifier's ROC beside two style-only baselines that never read the evidence against the claim."""
    results = [r for r in results if r.score is not None]
    labels = [r.label == "supported" for r in results]
    figure, axis = plt.subplots(figsize=(5.0, 4.6))
    curves = (
        ("verifier score", [r.score or 0.0 for r in results], BLUE),
        ("baseline: evidence length", [float(r.evidence_chars) for r in results], GREY),
        ("baseline: claim length", [float(r.claim_words) for r in results], "#e67e22"),
    )
    for name, scores, colour in curves:
        area = auroc(scores, labels)
        if area != area:
            continue
        if area < 0.5:
            scores, area = [-s for s in scores], 1 - area
        fpr, tpr = _roc(scores, labels)
        axis.plot(fpr, tpr, color=colour, label=f"{name} (AUROC {area:.2f})")
    axis.plot([0, 1], [0, 1], color="#cccccc", linestyle="--", linewidth=1)
    axis.set_xlabel("false positive rate (unsupported claims passed)")
    axis.set_ylabel("true positive rate (supported claims passed)")
    axis.legend(fontsize=8, loc="lower right")
    axis.set_title("Hallucination gate: ROC", fontsize=11)
    return _png(figure)


def _roc(scores: Sequence[float], labels: Sequence[bool]) -> tuple[list[float], list[float]]:
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    positives = max(sum(labels), 1)
    negatives = max(len(labels) - sum(labels), 1)
    fpr, tpr, tp, fp = [0.0], [0.0], 0, 0
    for rank, i in enumerate(order):
        tp += labels[i]
        fp += not labels[i]
        if rank + 1 == len(order) or scores[order[rank + 1]] != scores[i]:
            fpr.append(fp / negatives)
            tpr.append(tp / positives)
    return fpr, tpr
