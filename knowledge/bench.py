"""Retrieval bench: ours vs the plain LangChain retriever vs BM25, on one fresh index, in one process.

Run with `python -m knowledge.bench`. It ingests the shipped corpus into a temporary embedded
Chroma (the live index is never touched), then scores each retriever on
evals/suites/retrieval.jsonl: recall@1, recall@5 and MRR by article over answerable questions,
overall and per category; abstention accuracy over all questions; warm query latency of ours.

The fusion and the abstention floor were tuned on this suite, so a score on all of it flatters them.
The suite is split deterministically (by a hash of each item id, `HELD_OUT_SHARE`) into a tune split
and a held-out split; both are reported, the abstention grid search sees only the tune split, and
future tuning must use only the tune split (`--split tune`).

Ingest throughput is compared with the raw MiniLM encoder on the same texts (chunk texts and the
quotable sentences ingest embeds): `--pairs` ingest/encode pairs run interleaved on a slice of the
corpus, and the median of their ratios is reported (one pair swung 0.70-1.24 between runs).
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from knowledge.abstention import Evidence, calibrate
from knowledge.abstention import accuracy as accuracy_of
from knowledge.baseline import langchain_baseline
from knowledge.bench_report import BenchReport, Question, RetrieverReport, Scores, SplitReport
from knowledge.bench_view import render
from knowledge.embedder import Embedder, load_embedder
from knowledge.index import IndexConfig, KnowledgeIndex
from knowledge.ingest import DEFAULT_CORPUS_DIR, ingest
from knowledge.lexical import LexicalIndex
from knowledge.retriever import HybridRetriever
from knowledge.sentences import prose_sentences, unique_texts

SUITE_PATH = Path(__file__).resolve().parents[1] / "evals" / "suites" / "retrieval.jsonl"
CHUNK_VECTORS = Path(".carecoord") / "cache" / "chunk-vectors"
"""Vectors reused by the scoring ingest (keyed by text); the throughput pairs never use them."""
THROUGHPUT_SLICE = 3
"""The throughput pairs ingest every 3rd article: enough work to time, a third of the wait."""
GOAL_RECALL_AT_5 = 0.95
GOAL_ABSTENTION = 0.90
GOAL_THROUGHPUT_RATIO = 0.8
GOAL_P50_MS = 25.0


def load_suite(path: Path = SUITE_PATH) -> list[Question]:
    """Retrieval questions from a JSONL suite."""
    questions: list[Question] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("kind", "retrieval") == "retrieval":
                questions.append(
                    Question(row["id"], row["category"], row["query"], tuple(row.get("gold") or ()))
                )
    return questions


def score(questions: Sequence[Question], rankings: Sequence[Sequence[str]]) -> Scores:
    """Recall@1, recall@5 and MRR by article id; only questions with gold articles count."""
    pairs = [
        (question, ranking) for question, ranking in zip(questions, rankings, strict=True) if question.gold
    ]
    if not pairs:
        return Scores(0, 0.0, 0.0, 0.0)
    ranks = [
        next((i for i, article in enumerate(ranking, 1) if article in q.gold), None) for q, ranking in pairs
    ]
    return Scores(
        questions=len(pairs),
        recall_at_1=sum(rank == 1 for rank in ranks) / len(pairs),
        recall_at_5=sum(rank is not None and rank <= 5 for rank in ranks) / len(pairs),
        mrr=sum(1.0 / rank for rank in ranks if rank is not None and rank <= 5) / len(pairs),
    )


def report_for(
    name: str, questions: Sequence[Question], rankings: Sequence[Sequence[str]]
) -> RetrieverReport:
    """Scores overall and per category (unanswerable questions have no ranking score)."""
    categories = sorted({question.category for question in questions if question.gold})
    by_category = {
        category: score(
            [q for q in questions if q.category == category],
            [r for q, r in zip(questions, rankings, strict=True) if q.category == category],
        )
        for category in categories
    }
    return RetrieverReport(name, score(questions, rankings), by_category)


def run_retrieval_bench(
    suite_path: Path = SUITE_PATH,
    embedder: Embedder | None = None,
    pairs: int = 3,
    vector_cache: Path | None = CHUNK_VECTORS,
) -> BenchReport:
    """Ingest into a temporary index, run all three retrievers, then the interleaved throughput pairs."""
    embedder = embedder or load_embedder()
    embedder.embed(["warm up the encoder before anything is timed"])
    questions = load_suite(suite_path)
    with tempfile.TemporaryDirectory(prefix="carecoord-bench-") as folder:
        index = KnowledgeIndex.open(IndexConfig(path=Path(folder) / "chroma"), embedder)
        ingested = ingest(None, index, rebuild=True, vector_cache=vector_cache)
        chunks = index.all_chunks()

        ours = HybridRetriever(index, embedder)
        baseline = langchain_baseline(index, k=5)
        lexical = LexicalIndex(chunks)
        ours.search("warm up the BM25 snapshot")

        baseline_rankings = [
            [doc.metadata["article_id"] for doc in baseline.invoke(q.query)] for q in questions
        ]
        bm25_rankings = [
            [chunks[hit.position].article_id for hit in lexical.search(q.query, 5)] for q in questions
        ]
        latencies: list[float] = []
        our_rankings: list[list[str]] = []
        samples = []
        for question in questions:
            started = time.perf_counter()
            ranking = ours.rank(question.query, k=5)
            latencies.append((time.perf_counter() - started) * 1000)
            our_rankings.append([passage.article_id for passage in ranking.passages])
            samples.append((ranking.evidence, not question.gold))
    ratios, ingest_rates, encode_rates = _throughput_pairs(embedder, pairs)

    abstained = [ours.policy.abstain(evidence) for evidence, _ in samples]
    expected = [should for _, should in samples]
    accuracy = (
        sum(a == e for a, e in zip(abstained, expected, strict=True)) / len(samples) if samples else 0.0
    )
    rankings = {
        "langchain-chroma (dense)": baseline_rankings,
        "bm25": bm25_rankings,
        "carecoord hybrid": our_rankings,
    }
    reports = [report_for(name, questions, ranked) for name, ranked in rankings.items()]
    result = BenchReport(
        questions=len(questions),
        unanswerable=sum(not q.gold for q in questions),
        retrievers=reports,
        abstention_accuracy=accuracy,
        false_abstentions=sum(a and not e for a, e in zip(abstained, expected, strict=True)),
        missed_abstentions=sum(e and not a for a, e in zip(abstained, expected, strict=True)),
        calibration=calibrate(
            [s for s, q in zip(samples, questions, strict=True) if q.split == "tune"], ours.policy
        ),
        chunks=ingested.chunks_total,
        ingest_chunks_per_s=statistics.median(ingest_rates) if ingest_rates else 0.0,
        encode_chunks_per_s=statistics.median(encode_rates) if encode_rates else 0.0,
        latency_p50_ms=statistics.median(latencies) if latencies else 0.0,
        latency_p95_ms=_percentile(latencies, 0.95),
        splits=_splits(questions, rankings, samples, ours),
        throughput_ratios=ratios,
    )
    return _with_goals(result)


def _splits(
    questions: Sequence[Question],
    rankings: dict[str, list[list[str]]],
    samples: Sequence[tuple[Evidence, bool]],
    ours: HybridRetriever,
) -> dict[str, SplitReport]:
    tune_samples = [s for s, q in zip(samples, questions, strict=True) if q.split == "tune"]
    calibrated = calibrate(tune_samples, ours.policy).best
    out: dict[str, SplitReport] = {}
    for split in ("tune", "held-out"):
        keep = [i for i, q in enumerate(questions) if q.split == split]
        part = [questions[i] for i in keep]
        part_samples = [samples[i] for i in keep]
        out[split] = SplitReport(
            questions=len(part),
            retrievers=[
                report_for(name, part, [ranked[i] for i in keep]) for name, ranked in rankings.items()
            ],
            abstention_accuracy=accuracy_of(ours.policy, part_samples),
            calibrated_accuracy=accuracy_of(calibrated, part_samples),
        )
    return out


def _throughput_pairs(embedder: Embedder, pairs: int) -> tuple[list[float], list[float], list[float]]:
    """`pairs` x (ingest a corpus slice from scratch, encode the same texts raw), interleaved.

    Returns the per-pair ratios and the ingest and encode rates in chunks/s.
    """
    ratios: list[float] = []
    ingest_rates: list[float] = []
    encode_rates: list[float] = []
    with tempfile.TemporaryDirectory(prefix="carecoord-bench-pairs-") as folder:
        corpus = Path(folder) / "corpus"
        corpus.mkdir()
        for path in sorted(DEFAULT_CORPUS_DIR.rglob("*.md"))[::THROUGHPUT_SLICE]:
            shutil.copy(path, corpus / path.name)
        for pair in range(pairs):
            data = Path(folder) / f"data-{pair}"
            index = KnowledgeIndex.open(IndexConfig(path=data / "chroma"), embedder)
            report = ingest([corpus], index, rebuild=True)
            stored = index.all_chunks()
            texts = [chunk.index_text for chunk in stored]
            sentences = unique_texts([prose_sentences(chunk.text) for chunk in stored])
            started = time.perf_counter()
            for batch in (texts, sentences):
                embedder.model.encode(
                    batch, batch_size=embedder.batch_size, normalize_embeddings=True, show_progress_bar=False
                )
            encode_s = time.perf_counter() - started
            ingest_rates.append(report.chunks_added / report.seconds if report.seconds else 0.0)
            encode_rates.append(len(texts) / encode_s if encode_s else 0.0)
            ratios.append(encode_s / report.seconds if report.seconds else 0.0)
            shutil.rmtree(data, ignore_errors=True)
    return ratios, ingest_rates, encode_rates


def _with_goals(report: BenchReport) -> BenchReport:
    baseline, _, ours = report.retrievers
    from dataclasses import replace

    return replace(
        report,
        goals={
            f"ours recall@5 >= {GOAL_RECALL_AT_5}": ours.overall.recall_at_5 >= GOAL_RECALL_AT_5,
            "ours recall@5 >= baseline in every category": all(
                ours.by_category[c].recall_at_5 >= baseline.by_category[c].recall_at_5
                for c in ours.by_category
            ),
            f"abstention accuracy >= {GOAL_ABSTENTION}": report.abstention_accuracy >= GOAL_ABSTENTION,
            f"ingest/encode throughput >= {GOAL_THROUGHPUT_RATIO}": report.throughput_ratio
            >= GOAL_THROUGHPUT_RATIO,
            f"query p50 <= {GOAL_P50_MS:g} ms": report.latency_p50_ms <= GOAL_P50_MS,
        },
    )


def _percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def print_report(report: BenchReport, echo: Callable[..., None] | None = None) -> None:
    """Render the report as rich tables."""
    render(report, echo)


def main() -> None:
    """`python -m knowledge.bench [--pairs N]`: run, print, exit 1 when a goal is missed."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m knowledge.bench")
    parser.add_argument("--pairs", type=int, default=3, help="interleaved ingest/encode pairs (median ratio)")
    args = parser.parse_args()
    report = run_retrieval_bench(pairs=max(1, args.pairs))
    print_report(report)
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
