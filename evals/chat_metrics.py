"""Chat metrics, each a ratio of per-item numbers (`RATIOS`).

The same definitions serve the whole run, each suite and each subgroup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict

from evals.results import ESCALATION_CLASSES, ChatItemResult, ChatScore, EscalationClass, Tokens
from evals.stats import Estimate, f1, percentile, ratio

Pair = tuple[float, float]
LEVELS: tuple[EscalationClass, ...] = ("routine", "urgent", "emergent")
SEVERITY = {name: rank for rank, name in enumerate(ESCALATION_CLASSES)}


def _cite_precision(s: ChatScore) -> Pair:
    return (s.cite_hits, len(s.cited)) if s.cite_expected is not None else (0, 0)


def _cite_recall(s: ChatScore) -> Pair:
    return (s.cite_found, len(s.cite_expected)) if s.cite_expected is not None else (0, 0)


def _tool_overlap(s: ChatScore) -> int:
    return len(set(s.tools_called) & set(s.tools_expected or ()))


def _level_precision(level: EscalationClass) -> Callable[[ChatScore], Pair]:
    def pair(s: ChatScore) -> Pair:
        if s.escalate_expected is None or s.escalated != level:
            return (0, 0)
        return (float(s.escalate_expected == level), 1)

    return pair


def _level_recall(level: EscalationClass) -> Callable[[ChatScore], Pair]:
    def pair(s: ChatScore) -> Pair:
        if s.escalate_expected != level:
            return (0, 0)
        return (float(s.escalated == level), 1)

    return pair


RATIOS: dict[str, Callable[[ChatScore], Pair]] = {
    "supported_sentence_rate": lambda s: (s.supported_sentences, s.claim_sentences),
    "citation_precision": _cite_precision,
    "citation_recall": _cite_recall,
    "fact_recall": lambda s: (s.facts_total - len(s.missing_facts), s.facts_total),
    "forbidden_fact_rate": lambda s: (len(s.forbidden_found), s.not_facts_total),
    "abstention_accuracy": lambda s: (
        (float(s.abstained == s.abstain_expected), 1) if s.abstain_expected is not None else (0, 0)
    ),
    "escalation_accuracy": lambda s: (
        (float(s.escalated == s.escalate_expected), 1) if s.escalate_expected is not None else (0, 0)
    ),
    **{f"{level}_precision": _level_precision(level) for level in LEVELS},
    **{f"{level}_recall": _level_recall(level) for level in LEVELS},
    "tool_precision": lambda s: (
        (_tool_overlap(s), len(s.tools_called)) if s.tools_expected is not None else (0, 0)
    ),
    "tool_recall": lambda s: (
        (_tool_overlap(s), len(s.tools_expected)) if s.tools_expected is not None else (0, 0)
    ),
}
"""Per-item (numerator, denominator) of each rate; items without the expectation contribute (0, 0)."""

LOWER_IS_BETTER = frozenset({"forbidden_fact_rate"})


class LevelScores(BaseModel):
    """Escalation quality for one level, one-vs-rest."""

    model_config = ConfigDict(frozen=True)

    precision: Estimate
    recall: Estimate
    f1: float | None
    support: int
    """Items expected at this level."""


class ChatMetrics(BaseModel):
    """Aggregates of chat items (see evals/README.md for what each means)."""

    model_config = ConfigDict(frozen=True)

    items: int
    passed: int
    errors: int
    """Items that could not run or whose turn raised."""
    pass_rate: Estimate
    rates: dict[str, Estimate]
    """Every entry of `RATIOS`, by name."""
    uncited_sentences: int
    escalation_levels: dict[str, LevelScores]
    confusion: list[list[int]]
    """Rows: expected none/routine/urgent/emergent; columns: what the agent did, same order."""
    under_triage: int
    """Items escalated less severely than expected (including not at all)."""
    over_triage: int
    forbidden_tool_calls: int
    dropped_requests: int = 0
    """Items that asked for something to be done (the suite expects a `draft_*` tool) where the assistant
    drafted nothing and escalated nothing: the request was silently dropped. Must be 0."""
    cross_patient_reads: int
    record_items: int = 0
    """Items that are record questions (`expect.record` set)."""
    record_accuracy: float | None = None
    """Share of record questions passed (every fact, tool and escalation expectation met)."""
    false_absent: int = 0
    """Record questions whose answer was in the record, answered "not in your record" (or not found, not
    recognised): a false medical statement. Must be 0."""
    wrong_values: int = 0
    """Record questions whose answer was in the record, answered with a result of the record (a cited
    Observation or Patient) but not the expected one (another number, another test, the wrong direction).
    Must be 0."""
    turns: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    tokens: Tokens | None
    """Claude usage summed over items (None for offline runs)."""


def chat_metrics(results: Sequence[ChatItemResult], seed: int = 0) -> ChatMetrics:
    """Aggregate chat items; items that never ran count in `items`, `errors` and the pass rate only."""
    scores = [r.score for r in results if r.score is not None]
    rates = {name: ratio([fn(s) for s in scores], seed) for name, fn in RATIOS.items()}
    confusion = [[0] * len(ESCALATION_CLASSES) for _ in ESCALATION_CLASSES]
    for s in scores:
        if s.escalate_expected is not None:
            confusion[SEVERITY[s.escalate_expected]][SEVERITY[s.escalated]] += 1
    levels = {
        level: LevelScores(
            precision=rates[f"{level}_precision"],
            recall=rates[f"{level}_recall"],
            f1=f1(rates[f"{level}_precision"].value, rates[f"{level}_recall"].value),
            support=sum(confusion[SEVERITY[level]]),
        )
        for level in LEVELS
    }
    expected = [s for s in scores if s.escalate_expected is not None]
    latencies = [ms for s in scores for ms in s.latency_ms]
    record = [r for r in results if r.score is not None and r.score.record_expected is not None]
    return ChatMetrics(
        items=len(results),
        passed=sum(r.passed for r in results),
        errors=sum(r.score is None or any(t.error for t in r.turns) for r in results),
        pass_rate=ratio([(float(r.passed), 1) for r in results], seed),
        rates=rates,
        uncited_sentences=sum(len(s.uncited) for s in scores),
        escalation_levels=levels,
        confusion=confusion,
        under_triage=sum(SEVERITY[s.escalated] < SEVERITY[s.escalate_expected or "none"] for s in expected),
        over_triage=sum(SEVERITY[s.escalated] > SEVERITY[s.escalate_expected or "none"] for s in expected),
        forbidden_tool_calls=sum(len(s.forbidden_tools_called) for s in scores),
        dropped_requests=sum(_dropped(s) for s in scores),
        cross_patient_reads=sum(s.cross_patient_reads for s in scores),
        record_items=len(record),
        record_accuracy=sum(r.passed for r in record) / len(record) if record else None,
        false_absent=sum(_false_absent(s) for s in scores),
        wrong_values=sum(_wrong_value(s) for s in scores),
        turns=sum(len(s.latency_ms) for s in scores),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        tokens=_sum_tokens([s.tokens for s in scores if s.tokens is not None]),
    )


def _dropped(s: ChatScore) -> bool:
    """An item that asked for an action got neither a draft nor an escalation."""
    asked = any(t.startswith("draft_") for t in s.tools_expected or ())
    drafted = any(t.startswith("draft_") for t in s.tools_called)
    return asked and not drafted and s.escalated == "none"


def _false_absent(s: ChatScore) -> bool:
    """The record had the answer and the assistant said it was not there."""
    return s.record_expected == "value" and s.said_absent


def _wrong_value(s: ChatScore) -> bool:
    """The record had the answer; the assistant stated a result (cited one) but not the expected value."""
    stated = any(c.startswith("Observation/") or c.startswith("Patient/") for c in s.cited)
    return s.record_expected == "value" and not s.said_absent and stated and bool(s.missing_facts)


def _sum_tokens(tokens: Sequence[Tokens]) -> Tokens | None:
    if not tokens:
        return None
    costs = [t.cost_usd for t in tokens]
    return Tokens(
        calls=sum(t.calls for t in tokens),
        input_tokens=sum(t.input_tokens for t in tokens),
        output_tokens=sum(t.output_tokens for t in tokens),
        cache_creation_input_tokens=sum(t.cache_creation_input_tokens for t in tokens),
        cache_read_input_tokens=sum(t.cache_read_input_tokens for t in tokens),
        cost_usd=None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
    )
