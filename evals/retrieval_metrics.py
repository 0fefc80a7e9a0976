"""Retrieval metrics: recall@1, recall@5 and MRR on answerable queries; abstention on all of them."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from evals.results import RetrievalItemResult
from evals.stats import Estimate, percentile, ratio


class RetrievalMetrics(BaseModel):
    """The retriever alone, before the agent composes anything."""

    model_config = ConfigDict(frozen=True)

    items: int
    errors: int = 0
    """Items whose search raised: counted here, left out of the rates."""
    answerable: int
    recall_at_1: Estimate
    recall_at_5: Estimate
    mrr: Estimate
    abstention_accuracy: Estimate
    """Abstained exactly when the query has no gold article."""
    false_abstentions: int
    """Answerable queries the retriever abstained on."""
    latency_p50_ms: float | None


def retrieval_metrics(results: Sequence[RetrievalItemResult], seed: int = 0) -> RetrievalMetrics:
    """Aggregate retrieval items (items that raised are counted as errors, not as misses)."""
    ran = [r for r in results if r.error is None]
    answerable = [r for r in ran if r.gold]
    return RetrievalMetrics(
        items=len(results),
        errors=len(results) - len(ran),
        answerable=len(answerable),
        recall_at_1=ratio([(r.recall_at_1 or 0.0, 1) for r in answerable], seed),
        recall_at_5=ratio([(r.recall_at_5 or 0.0, 1) for r in answerable], seed),
        mrr=ratio([(1 / r.first_gold_rank if r.first_gold_rank else 0.0, 1) for r in answerable], seed),
        abstention_accuracy=ratio([(float(r.abstained == (not r.gold)), 1) for r in ran], seed),
        false_abstentions=sum(r.abstained for r in answerable),
        latency_p50_ms=percentile([r.ms for r in ran], 50),
    )
