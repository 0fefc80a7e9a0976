"""`summary.json`: provenance, metrics (overall, per suite, per subgroup) and the flat headline.

The headline is the one namespace bounds (`--fail-under`), `compare` and the model card use:
`emergent_recall`, `cross_patient_reads`, ... for the whole run, and `<suite>.<metric>` per suite.
A metric that was not measured (no item had that expectation) is null, and a bound on it fails.
`errors` counts the items of every kind that could not run or raised (`detect_errors` and
`retrieval_errors` name the share of those kinds); a run never stops for them, a bound may.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from evals.chat_metrics import LEVELS, ChatMetrics
from evals.detect_metrics import DetectMetrics
from evals.retrieval_metrics import RetrievalMetrics
from evals.subgroups import Dimension


class SuiteInfo(BaseModel):
    """One suite of the run, pinned by its hash."""

    model_config = ConfigDict(frozen=True)

    name: str
    path: str
    sha256: str
    items_total: int
    items_run: int
    kinds: dict[str, int]


class Provenance(BaseModel):
    """Everything needed to reproduce (or distrust) a run."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    started_at: str
    wall_s: float
    suites: list[SuiteInfo]
    corpus_version: str
    corpus_files: int
    reasoner: str
    """The reasoner asked for (offline or claude)."""
    reasoners_used: dict[str, int]
    """Turns answered per reasoner: Claude failures fall back to offline, and show here."""
    model: str
    embedding_model: str
    seed: int
    limit: int | None
    git_commit: str | None
    carecoord_version: str
    python: str
    fhir_url: str | None
    verifier_threshold: float
    judge: str | None = None
    """The second stage run on detect items (`claude:<model>`), None when only the offline stage ran."""
    gap_bound: float
    min_group_items: int


class Metrics(BaseModel):
    """Metrics of one slice of items (the whole run, or one suite)."""

    model_config = ConfigDict(frozen=True)

    chat: ChatMetrics | None = None
    detect: DetectMetrics | None = None
    retrieval: RetrievalMetrics | None = None


class BoundResult(BaseModel):
    """One `--fail-under` / `--fail-over` bound and whether the run met it."""

    model_config = ConfigDict(frozen=True)

    metric: str
    op: str
    value: float
    measured: float | None
    passed: bool


class Summary(BaseModel):
    """The whole of `summary.json`."""

    model_config = ConfigDict(frozen=True)

    provenance: Provenance
    overall: Metrics
    suites: dict[str, Metrics]
    subgroups: list[Dimension]
    headline: dict[str, float | None]
    bounds: list[BoundResult] = []

    def write(self, path: Path) -> None:
        """Write as indented JSON."""
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Summary:
        """Load a run's summary."""
        return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))


CHAT_HEADLINE = (
    "chat_items",
    "pass_rate",
    "supported_sentence_rate",
    "uncited_sentences",
    "citation_precision",
    "citation_recall",
    "fact_recall",
    "forbidden_fact_rate",
    "abstention_accuracy",
    "escalation_accuracy",
    *(f"{level}_{m}" for level in LEVELS for m in ("precision", "recall", "f1")),
    "under_triage",
    "over_triage",
    "tool_precision",
    "tool_recall",
    "forbidden_tool_calls",
    "dropped_requests",
    "cross_patient_reads",
    "record_items",
    "record_accuracy",
    "false_absent",
    "wrong_values",
    "errors",
    "latency_p50_ms",
    "latency_p95_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "subgroup_gaps_flagged",
)
DETECT_HEADLINE = (
    "detect_items",
    "detect_errors",
    "detect_auroc",
    "detect_precision",
    "detect_recall",
    "detect_f1",
    "detect_accuracy",
    "detect_baseline_evidence_length_auroc",
    "detect_baseline_claim_length_auroc",
    "detect_baseline_tfidf_claim_auroc",
    "detect_baselines_beating_verifier",
    "detect_judge_items",
    "detect_judge_errors",
    "detect_judge_auroc",
    "detect_judge_precision",
    "detect_judge_recall",
    "detect_judge_accuracy",
    "detect_combined_precision",
    "detect_combined_recall",
    "detect_combined_accuracy",
)
RETRIEVAL_HEADLINE = (
    "retrieval_items",
    "retrieval_errors",
    "retrieval_recall_at_1",
    "retrieval_recall_at_5",
    "retrieval_mrr",
    "retrieval_abstention_accuracy",
    "retrieval_false_abstentions",
)
HEADLINE_NAMES = (*CHAT_HEADLINE, *DETECT_HEADLINE, *RETRIEVAL_HEADLINE)


def headline(metrics: Metrics, subgroup_dims: list[Dimension] | None = None) -> dict[str, float | None]:
    """The flat metric table of one slice; every name present, None where not measured."""
    table: dict[str, float | None] = dict.fromkeys(HEADLINE_NAMES)
    chat = metrics.chat
    if chat is not None:
        table["chat_items"] = chat.items
        table["pass_rate"] = chat.pass_rate.value
        for name, estimate in chat.rates.items():
            table[name] = estimate.value
        for level, scores in chat.escalation_levels.items():
            table[f"{level}_f1"] = scores.f1
        for name in (
            "uncited_sentences",
            "under_triage",
            "over_triage",
            "forbidden_tool_calls",
            "dropped_requests",
            "record_items",
            "record_accuracy",
            "false_absent",
            "wrong_values",
        ):
            table[name] = getattr(chat, name)
        table["cross_patient_reads"] = chat.cross_patient_reads
        table["latency_p50_ms"] = chat.latency_p50_ms
        table["latency_p95_ms"] = chat.latency_p95_ms
        if chat.tokens is not None:
            table["input_tokens"] = chat.tokens.input_tokens
            table["output_tokens"] = chat.tokens.output_tokens
            table["cost_usd"] = chat.tokens.cost_usd
        if subgroup_dims is not None:
            table["subgroup_gaps_flagged"] = sum(g.flagged for d in subgroup_dims for g in d.gaps)
    detect = metrics.detect
    if detect is not None:
        table["detect_items"] = detect.items
        table["detect_errors"] = detect.errors
        table["detect_auroc"] = detect.auroc.value
        table["detect_precision"] = detect.precision.value
        table["detect_recall"] = detect.recall.value
        table["detect_f1"] = detect.f1
        table["detect_accuracy"] = detect.accuracy.value
        table["detect_baseline_evidence_length_auroc"] = detect.baselines.evidence_length_auroc
        table["detect_baseline_claim_length_auroc"] = detect.baselines.claim_length_auroc
        table["detect_baseline_tfidf_claim_auroc"] = detect.baselines.tfidf_claim_auroc
        table["detect_baselines_beating_verifier"] = (
            len(detect.beaten_by()) if detect.auroc.value is not None else None
        )
        judge = detect.judge
        if judge is not None:
            table["detect_judge_items"] = judge.items
            table["detect_judge_errors"] = judge.errors
            table["detect_judge_auroc"] = judge.auroc.value
            table["detect_judge_precision"] = judge.precision.value
            table["detect_judge_recall"] = judge.recall.value
            table["detect_judge_accuracy"] = judge.accuracy.value
            table["detect_combined_precision"] = judge.combined_precision.value
            table["detect_combined_recall"] = judge.combined_recall.value
            table["detect_combined_accuracy"] = judge.combined_accuracy.value
    retrieval = metrics.retrieval
    if retrieval is not None:
        table["retrieval_items"] = retrieval.items
        table["retrieval_errors"] = retrieval.errors
        table["retrieval_recall_at_1"] = retrieval.recall_at_1.value
        table["retrieval_recall_at_5"] = retrieval.recall_at_5.value
        table["retrieval_mrr"] = retrieval.mrr.value
        table["retrieval_abstention_accuracy"] = retrieval.abstention_accuracy.value
        table["retrieval_false_abstentions"] = retrieval.false_abstentions
    measured = [m.errors for m in (chat, detect, retrieval) if m is not None]
    table["errors"] = sum(measured) if measured else None
    return table
