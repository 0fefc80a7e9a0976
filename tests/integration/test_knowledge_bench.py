from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.bench import GOAL_ABSTENTION, GOAL_RECALL_AT_5, print_report, run_retrieval_bench
from knowledge.embedder import Embedder

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Timing goals (ingest/encode >= 0.8, p50 <= 25 ms) hold on an idle machine; the test suite shares
# two cores with other servers and tests, so here they are checked with headroom and the exact
# numbers are printed for the record (`python -m knowledge.bench` checks them strictly).
SHARED_CPU_THROUGHPUT_RATIO = 0.6
SHARED_CPU_P50_MS = 50.0


def test_retrieval_bench_meets_its_goals(tmp_path: Path, knowledge_embedder: Embedder) -> None:
    report = run_retrieval_bench(embedder=knowledge_embedder, pairs=1)
    print_report(report)
    baseline, bm25, ours = report.retrievers
    assert report.questions >= 100 and report.unanswerable >= 10
    assert ours.overall.recall_at_5 >= GOAL_RECALL_AT_5
    for category, scores in ours.by_category.items():
        assert scores.recall_at_5 >= baseline.by_category[category].recall_at_5, category
    assert ours.overall.mrr >= baseline.overall.mrr and ours.overall.recall_at_5 >= bm25.overall.recall_at_5
    assert report.abstention_accuracy >= GOAL_ABSTENTION
    # Scored apart on a split the retriever was not tuned on; every question is in exactly one split.
    tune, held_out = report.splits["tune"], report.splits["held-out"]
    assert tune.questions + held_out.questions == report.questions and held_out.questions >= 40
    assert held_out.retrievers[2].overall.recall_at_5 >= 0.9
    assert len(report.throughput_ratios) == 1
    assert report.throughput_ratio >= SHARED_CPU_THROUGHPUT_RATIO
    assert report.latency_p50_ms <= SHARED_CPU_P50_MS
