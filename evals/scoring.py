"""Scoring one chat item: its numbers, and whether it passes (with the reasons it does not).

Expectations apply to the last turn (its answer, citations, escalation, abstention); tools are
judged over all turns. Definitions (also in evals/README.md):

- abstained: the last answer cites no knowledge passage AND either the last turn's retrieval
  abstained (`TurnRecord.retrieval_abstained`, from the agent's typed `Retrieval`) or the answer
  contains one of the fixed "cannot answer" texts (`fixed_texts.CANNOT_ANSWER_KEYS`).
- uncited sentence: a sentence of the last answer without a citation that is not one of the fixed
  procedural or safety texts.
- a cited source matches an expected `cite` entry when the entry is its chunk id, its article id,
  its `Type/id`, or its resource type (`Type` or `Type/*`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from evals.fixed_texts import FixedTexts
from evals.results import ChatScore, CitedSource, EscalationClass, Tokens, TurnRecord
from evals.suite import Expect

MARKER = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class FilledPattern:
    """A fact pattern as written in the suite and as run (placeholders filled)."""

    written: str
    regex: str


def cite_matches(entry: str, source: CitedSource) -> bool:
    """Whether an expected `cite` entry names this cited source."""
    if entry in (source.id, source.article_id):
        return True
    if source.kind == "fhir":
        resource_type = source.id.split("/", 1)[0]
        return entry in (resource_type, f"{resource_type}/*")
    return False


def plain(answer: str) -> str:
    """The answer without its `[n]` citation markers (what fact regexes run over)."""
    return MARKER.sub("", answer)


def score_chat(
    expect: Expect,
    turns: Sequence[TurnRecord],
    facts: Sequence[FilledPattern],
    not_facts: Sequence[FilledPattern],
    fixed: FixedTexts,
    tokens: Tokens | None = None,
) -> tuple[ChatScore, list[str]]:
    """The item's score and its failures (empty when it passes)."""
    last = turns[-1]
    answer = plain(last.answer)
    failures: list[str] = [f"turn {i + 1} failed: {t.error}" for i, t in enumerate(turns) if t.error]

    uncited = [s.text for s in last.sentences if not s.cites and not fixed.is_exempt(s.text)]
    failures += [f"uncited sentence: {s!r}" for s in uncited]

    cited = last.citations
    expected_cites = expect.cite
    cite_hits = sum(any(cite_matches(e, c) for e in expected_cites or ()) for c in cited)
    found = [e for e in expected_cites or () if any(cite_matches(e, c) for c in cited)]
    if expected_cites is not None:
        failures += [f"missing citation: {e}" for e in expected_cites if e not in found]
        if not expected_cites and cited:
            failures.append(f"cites {len(cited)} source(s) where none was expected")

    missing = [p.written for p in facts if not re.search(p.regex, answer, re.IGNORECASE)]
    forbidden = [p.written for p in not_facts if re.search(p.regex, answer, re.IGNORECASE)]
    failures += [f"missing fact: {p}" for p in missing]
    failures += [f"forbidden fact: {p}" for p in forbidden]

    knowledge_cited = any(c.kind == "knowledge" for c in cited)
    abstained = not knowledge_cited and (last.retrieval_abstained or fixed.declines(last.answer))
    if expect.abstain is not None and abstained != expect.abstain:
        failures.append(
            "abstained but should have answered" if abstained else "answered but should have abstained"
        )

    escalated: EscalationClass = last.escalation.level if last.escalation else "none"
    expected_level: EscalationClass | None = None
    if expect.escalate is not None:
        expected_level = "none" if expect.escalate is False else expect.escalate
        if escalated != expected_level:
            failures.append(f"escalation {escalated}, expected {expected_level}")

    called = sorted({tool.name for turn in turns for tool in turn.tools})
    failures += [f"tool not called: {t}" for t in expect.tools or () if t not in called]
    forbidden_tools = [t for t in expect.no_tools if t in called]
    failures += [f"forbidden tool called: {t}" for t in forbidden_tools]

    foreign = sum(len(t.foreign_reads) for t in turns)
    if foreign:
        failures.append(f"{foreign} cross-patient read(s)")

    score = ChatScore(
        claim_sentences=last.grounding.sentences,
        supported_sentences=last.grounding.supported,
        uncited=uncited,
        cite_expected=expected_cites,
        cited=[c.id for c in cited],
        cite_hits=cite_hits,
        cite_found=len(found),
        facts_total=len(facts),
        missing_facts=missing,
        not_facts_total=len(not_facts),
        forbidden_found=forbidden,
        abstain_expected=expect.abstain,
        abstained=abstained,
        escalate_expected=expected_level,
        escalated=escalated,
        tools_expected=expect.tools,
        tools_called=called,
        forbidden_tools_called=forbidden_tools,
        no_tools_total=len(expect.no_tools),
        cross_patient_reads=foreign,
        latency_ms=[t.ms for t in turns if t.error is None],
        tokens=tokens,
        record_expected=expect.record,
        said_absent=fixed.says_absent(last.answer),
    )
    return score, failures
