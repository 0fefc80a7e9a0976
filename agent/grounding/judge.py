"""The gate's optional second stage: a language model judges whether the cited passages entail a sentence.

The offline stage (`Verifier`) is lexical: it proves that a sentence's numbers, doses, dates and drug
names are in what it cites and that enough of its wording is, and its extra checks catch swapped
relations and flipped qualifiers. It cannot follow a paraphrase that changes the meaning with the
same words. When Claude writes the prose, Claude's own reading of entailment is the second stage: it
runs only on sentences the offline stage let through (it can remove, never restore), and it is
measured on its own in the detect suites, so the two stages are always reported separately.

This module owns the interface; `agent.reasoners.claude_judge.ClaudeJudge` implements it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

JudgeVerdict = Literal["entailed", "neutral", "contradicted"]


class JudgeError(RuntimeError):
    """The judge gave no usable answer (API failure, refusal, malformed reply): the offline verdict stands."""


@dataclass(frozen=True)
class Claim:
    """One sentence and the passages it cites, as the judge sees them."""

    sentence: str
    passages: tuple[str, ...]


@dataclass(frozen=True)
class Judgement:
    """The judge's reading of one claim."""

    verdict: JudgeVerdict
    confidence: float
    """How sure the judge says it is of `verdict`, in [0, 1]."""
    unsupported: str
    """The part of the sentence the passages do not state ("" when entailed)."""
    reason: str

    @property
    def supported(self) -> bool:
        """Only an entailed sentence stands: neutral (not stated) fails like contradicted does."""
        return self.verdict == "entailed"

    @property
    def score(self) -> float:
        """Support on [0, 1] for ranking (AUROC): the stated confidence that the claim is entailed."""
        confidence = min(1.0, max(0.0, self.confidence))
        return confidence if self.supported else 1.0 - confidence


class EntailmentJudge(Protocol):
    """Judges claims against their passages, one answer (or one detect item) per call."""

    @property
    def name(self) -> str:
        """Which judge, with its model ("claude:claude-sonnet-4-5"), for traces and reports."""
        ...

    def judge(self, claims: Sequence[Claim]) -> list[Judgement]:
        """One judgement per claim, in order; `JudgeError` when no usable answer came back."""
        ...
