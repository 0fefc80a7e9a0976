"""Per-item results: what `results.jsonl` holds, one object per line, with the full trace.

These are the records `compare`, `model-card` and the reports read back, so they are typed models,
not whatever a runner happened to collect.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agent.result import EscalationOut, GroundingOut, ToolOut
from evals.jsonl import decode, dumps_line, numbered_lines
from evals.patients import Demographics

EscalationClass = Literal["none", "routine", "urgent", "emergent"]
ESCALATION_CLASSES: tuple[EscalationClass, ...] = ("none", "routine", "urgent", "emergent")


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class CitedSource(_Record):
    """A citation of the answer, with the article a knowledge chunk belongs to."""

    n: int
    kind: Literal["knowledge", "fhir"]
    id: str
    article_id: str | None = None
    title: str


class SentenceRecord(_Record):
    """One sentence of the final answer and the citation numbers it carries."""

    text: str
    cites: list[int]


class Tokens(_Record):
    """Claude usage of one item (all turns)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: float | None = None
    """None when the model is missing from `evals/prices.yaml`."""


class TurnRecord(_Record):
    """One patient message and everything the agent did with it."""

    message: str
    thread_id: str
    answer: str = ""
    sentences: list[SentenceRecord] = Field(default_factory=list)
    citations: list[CitedSource] = Field(default_factory=list)
    escalation: EscalationOut | None = None
    grounding: GroundingOut = GroundingOut(sentences=0, supported=0, removed=0)
    tools: list[ToolOut] = Field(default_factory=list)
    retrieval_abstained: bool = False
    """The turn's knowledge search ran and found nothing relevant enough (typed, from the agent's state)."""
    trace: list[str] = Field(default_factory=list)
    reasoner: str = ""
    ms: float = 0.0
    foreign_reads: list[str] = Field(default_factory=list)
    """Resources about another patient the server returned to the agent during this turn."""
    error: str | None = None


class ChatScore(_Record):
    """The item's numbers; the run's metrics are sums and ratios of these."""

    claim_sentences: int
    supported_sentences: int
    uncited: list[str]
    """Answer sentences with no citation that are not one of the fixed procedural/safety texts."""
    cite_expected: list[str] | None
    cited: list[str]
    cite_hits: int
    """Citations that match an expected source (precision numerator)."""
    cite_found: int
    """Expected sources cited at least once (recall numerator)."""
    facts_total: int
    missing_facts: list[str]
    not_facts_total: int
    forbidden_found: list[str]
    abstain_expected: bool | None
    abstained: bool
    escalate_expected: EscalationClass | None
    escalated: EscalationClass
    tools_expected: list[str] | None
    tools_called: list[str]
    forbidden_tools_called: list[str]
    no_tools_total: int
    cross_patient_reads: int
    latency_ms: list[float]
    tokens: Tokens | None = None
    record_expected: str | None = None
    """The item's `expect.record` kind (None: not a record question)."""
    said_absent: bool = False
    """The last answer said the result is not in the record (or not found, or not recognised)."""


class PatientInfo(_Record):
    """Who the item ran as."""

    id: str
    demographics: Demographics


class ChatItemResult(_Record):
    """A chat item: its turns, score, pass/fail and why."""

    kind: Literal["chat"] = "chat"
    suite: str
    id: str
    category: str
    passed: bool
    failures: list[str]
    patient: PatientInfo | None
    turns: list[TurnRecord]
    score: ChatScore | None
    """None when the item could not run at all (no matching patient)."""
    error: str | None = None


class JudgeRecord(_Record):
    """The second stage's reading of a detect item (Claude's entailment judge), kept apart from the first."""

    judge: str
    """Which judge ("claude:<model>")."""
    verdict: Literal["entailed", "neutral", "contradicted"] | None = None
    score: float | None = None
    """Stated confidence that the claim is entailed; None when the judge failed (see `error`)."""
    reason: str = ""
    error: str | None = None


class DetectItemResult(_Record):
    """A detect item: the verifier's score and decision beside the label."""

    kind: Literal["detect"] = "detect"
    suite: str
    id: str
    category: str
    passed: bool
    failures: list[str]
    label: Literal["supported", "unsupported"]
    score: float | None
    """The offline stage's support score; None when the item raised (see `error`)."""
    predicted_supported: bool | None
    reason: str
    claim: str
    evidence_chars: int
    claim_words: int
    error: str | None = None
    """Why the item could not be scored; it is counted in `errors` and left out of AUROC and P/R."""
    judge: JudgeRecord | None = None
    """The second stage's verdict, when the run asked for it (`eval run --judge`); it never changes
    `passed`, `score` or `predicted_supported`, which are the offline stage's."""


class RetrievalItemResult(_Record):
    """A retrieval item: ranked article ids, the gold rank and the abstention flag."""

    kind: Literal["retrieval"] = "retrieval"
    suite: str
    id: str
    category: str
    passed: bool
    failures: list[str]
    query: str
    gold: list[str]
    ranked: list[str]
    """Passage ids as `article_id#chunk_id`, best first."""
    first_gold_rank: int | None
    recall_at_1: float | None
    recall_at_5: float | None
    abstained: bool
    ms: float
    error: str | None = None
    """Why the search raised; the item is counted in `errors` and fails."""


ItemResult = Annotated[ChatItemResult | DetectItemResult | RetrievalItemResult, Field(discriminator="kind")]
ITEM_ADAPTER: TypeAdapter[ChatItemResult | DetectItemResult | RetrievalItemResult] = TypeAdapter(ItemResult)
AnyResult = ChatItemResult | DetectItemResult | RetrievalItemResult


def result_line(result: AnyResult) -> str:
    """One result as a `results.jsonl` line (non-ASCII escaped: see `evals.jsonl`)."""
    return dumps_line(result.model_dump(mode="json"))


def write_results(results: Iterable[AnyResult], path: Path) -> None:
    """One JSON object per line."""
    with path.open("w", encoding="utf-8") as out:
        for result in results:
            out.write(result_line(result))


def read_results(path: Path) -> list[AnyResult]:
    """Load a run's `results.jsonl` (split on line feeds (LF) only)."""
    text = decode(path.read_bytes())
    return [ITEM_ADAPTER.validate_python(json.loads(line)) for _, line in numbered_lines(text)]
