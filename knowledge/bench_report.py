"""What the retrieval bench measures: the report shapes that `bench` fills and `bench_view` prints.

Apart from both so the printer does not depend on the runner (nor the runner on the printer).
"""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass, field

from knowledge.abstention import Calibration

HELD_OUT_SHARE = 0.3
"""Share of the retrieval suite held out from tuning, chosen by a hash of each item id."""


@dataclass(frozen=True)
class Question:
    """One line of the retrieval suite; empty `gold` means the corpus cannot answer it."""

    id: str
    category: str
    query: str
    gold: tuple[str, ...]

    @property
    def split(self) -> str:
        """`tune` or `held-out`, fixed by the id alone (so adding items never moves old ones)."""
        bucket = int(hashlib.sha256(self.id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        return "held-out" if bucket < HELD_OUT_SHARE else "tune"


@dataclass(frozen=True)
class Scores:
    """Ranking quality over a set of answerable questions."""

    questions: int
    recall_at_1: float
    recall_at_5: float
    mrr: float


@dataclass(frozen=True)
class RetrieverReport:
    """One retriever's scores, overall and per category."""

    name: str
    overall: Scores
    by_category: dict[str, Scores]


@dataclass(frozen=True)
class SplitReport:
    """Scores of every retriever and abstention accuracy on one split of the suite."""

    questions: int
    retrievers: list[RetrieverReport]
    abstention_accuracy: float
    calibrated_accuracy: float
    """Accuracy of the policy grid-searched on the tune split (on held-out: the honest estimate)."""


@dataclass(frozen=True)
class BenchReport:
    """Everything the bench measured, plus which goals were met."""

    questions: int
    unanswerable: int
    retrievers: list[RetrieverReport]
    abstention_accuracy: float
    false_abstentions: int
    missed_abstentions: int
    calibration: Calibration
    chunks: int
    ingest_chunks_per_s: float
    encode_chunks_per_s: float
    latency_p50_ms: float
    latency_p95_ms: float
    goals: dict[str, bool] = field(default_factory=dict)
    splits: dict[str, SplitReport] = field(default_factory=dict)
    """The same scores on the tune and the held-out split."""
    throughput_ratios: list[float] = field(default_factory=list)
    """Ingest/encode ratio of each interleaved pair."""

    @property
    def throughput_ratio(self) -> float:
        """Median over the pairs of ingest throughput as a share of the raw encoder's."""
        if self.throughput_ratios:
            return statistics.median(self.throughput_ratios)
        return self.ingest_chunks_per_s / self.encode_chunks_per_s if self.encode_chunks_per_s else 0.0

    @property
    def ok(self) -> bool:
        """Whether every goal was met."""
        return all(self.goals.values())
