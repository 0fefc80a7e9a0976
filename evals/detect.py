"""Detect items: the hallucination gate alone, claim against evidence, at its operating threshold.

The offline stage decides `passed`; when a judge is given (`eval run --judge`), its verdict on the same
claim is recorded beside it, so each stage is measured on its own and neither hides the other.
"""

from __future__ import annotations

from agent.grounding.judge import Claim, EntailmentJudge, JudgeError
from agent.grounding.verifier import Verifier
from evals.results import DetectItemResult, JudgeRecord
from evals.suite import DetectCase


def run_detect(
    suite: str, case: DetectCase, verifier: Verifier, judge: EntailmentJudge | None = None
) -> DetectItemResult:
    """Score one claim; it passes when the verifier's decision agrees with the label."""
    verdict = verifier.check(case.claim, case.evidence)
    expected = case.label == "supported"
    failures = (
        []
        if verdict.supported == expected
        else [
            f"verifier said {'supported' if verdict.supported else 'unsupported'} ({verdict.reason}), label {case.label}"
        ]
    )
    return DetectItemResult(
        suite=suite,
        id=case.id,
        category=case.category,
        passed=not failures,
        failures=failures,
        label=case.label,
        score=verdict.score,
        predicted_supported=verdict.supported,
        reason=verdict.reason,
        claim=case.claim,
        evidence_chars=sum(len(text) for text in case.evidence),
        claim_words=len(case.claim.split()),
        judge=_judged(case, judge) if judge is not None else None,
    )


def _judged(case: DetectCase, judge: EntailmentJudge) -> JudgeRecord:
    """The judge's reading of the claim against all its evidence; a failed call is that record's error."""
    try:
        [judgement] = judge.judge([Claim(case.claim, tuple(case.evidence))])
    except JudgeError as exc:
        return JudgeRecord(judge=judge.name, error=str(exc))
    return JudgeRecord(
        judge=judge.name, verdict=judgement.verdict, score=judgement.score, reason=judgement.reason
    )
