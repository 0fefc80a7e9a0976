"""Negation and hedges: the same words, asserted where the source denies them, or certain where it hedges.

"Metformin does not cause weight gain" and "Metformin causes weight gain" cover each other word for
word; so do "walking may lower blood pressure" and "walking lowers blood pressure". Which words are
negated or hedged is decided by ConText (`agent.language`, the component the safety screen shares),
behind the small `QualifierReader` protocol so this module never parses text itself. The comparison:

- each claim sentence is aligned with the source sentences that share the most of its content words
  (the best overlap, and at least `ALIGN_MIN` words and `ALIGN_SHARE` of the claim's);
- **negation flip**: on the shared words, the claim negates what every aligned source sentence asserts,
  or asserts what every aligned source sentence negates;
- **hedge made certain**: every aligned source sentence hedges the shared words, and the claim sentence
  hedges nothing.

A claim no source sentence aligns with is left to coverage: it is unsupported for other reasons.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

from agent.grounding.relations import Conflict
from agent.grounding.tokens import Tokens

ALIGN_SHARE = 0.6
ALIGN_MIN = 2
HEDGED_SHARE = 0.5
"""Share of the words a source sentence has in common with the claim that must be hedged in it."""


@dataclass(frozen=True)
class Qualified:
    """ConText's reading of a text, one entry per word of its `Tokens`."""

    negated: tuple[bool, ...]
    hedged: tuple[bool, ...]
    """Inside the scope of a hedge (ConText POSSIBLE: "may", "is associated with", ...)."""
    trigger: tuple[bool, ...]
    """Part of a negation or hedge phrase itself ("not", "may"): the qualifier, not what it qualifies."""
    sentence: tuple[int, ...]

    def negated_at(self, tokens: Tokens, index: int) -> bool:
        """`relations.Negated`: whether word `index` is negated by another word.

        A negative word such as "uncommon" is the trigger of its own scope, not negated by it.
        """
        return 0 <= index < len(self.negated) and self.negated[index] and not self.trigger[index]


class QualifierReader(Hashable, Protocol):
    """Marks which words of a text are negated or hedged (implemented with ConText).

    Hashable (identity is enough): the verifier caches what a reader read, per text and reader.
    """

    def read(self, tokens: Tokens) -> Qualified:
        """One flag of each kind per word of `tokens`."""
        ...


@dataclass(frozen=True)
class _Sentence:
    words: str
    negated: frozenset[str]
    """Stems only ever negated in the sentence (a stem both negated and asserted is left out of both)."""
    asserted: frozenset[str]
    focus: frozenset[str]
    """What the sentence denies: the first content word after each negation phrase ("not cause" -> cause)."""
    hedged: frozenset[str]
    any_hedge: bool

    @property
    def stems(self) -> frozenset[str]:
        return self.negated | self.asserted


def _sentences(tokens: Tokens, qualified: Qualified) -> list[_Sentence]:
    """Per sentence: its content stems, split by whether they are negated, and which are hedged."""
    out: list[_Sentence] = []
    for number in sorted(set(qualified.sentence)):
        members = [i for i, s in enumerate(qualified.sentence) if s == number]
        content = [i for i in members if tokens.words[i].content and not qualified.trigger[i]]
        if not content:
            continue
        negated = {tokens.words[i].stem for i in content if qualified.negated[i]}
        asserted = {tokens.words[i].stem for i in content if not qualified.negated[i]}
        focus = set()
        for i in members:
            if (
                qualified.trigger[i]
                and qualified.negated[i]
                and (
                    i + 1 >= len(tokens.words) or not (qualified.trigger[i + 1] and qualified.negated[i + 1])
                )
            ):
                after = [j for j in content if j > i]
                if after and qualified.negated[after[0]]:
                    focus.add(tokens.words[after[0]].stem)
        first, last = tokens.words[members[0]], tokens.words[members[-1]]
        out.append(
            _Sentence(
                words=tokens.text[first.start : last.end],
                negated=frozenset(negated - asserted),
                asserted=frozenset(asserted - negated),
                focus=frozenset(focus - asserted),
                hedged=frozenset(tokens.words[i].stem for i in content if qualified.hedged[i]),
                any_hedge=any(qualified.hedged[i] for i in members),
            )
        )
    return out


@dataclass(frozen=True, eq=False)
class QualifierView:
    """A text's sentences with what each negates, asserts and hedges, computed once per text."""

    sentences: tuple[_Sentence, ...]


def qualifier_view(tokens: Tokens, read: Qualified) -> QualifierView:
    """Index a text for `qualifier_conflicts` (a cited text's view can be reused for every sentence)."""
    return QualifierView(tuple(_sentences(tokens, read)))


def qualifier_conflicts(claim: QualifierView, sources: Sequence[QualifierView]) -> list[Conflict]:
    """Negation flips and hedges made certain, claim sentence by claim sentence."""
    source_sentences = [s for view in sources for s in view.sentences]
    conflicts: list[Conflict] = []
    for mine in claim.sentences:
        need = max(ALIGN_MIN, math.ceil(ALIGN_SHARE * len(mine.stems)))
        overlap = {id(s): len(mine.stems & s.stems) for s in source_sentences}
        best = max(overlap.values(), default=0)
        if best < need:
            continue
        aligned = [s for s in source_sentences if overlap[id(s)] == best]
        flipped = [s for s in aligned if _negation_differs(mine, s)]
        if len(flipped) == len(aligned):
            conflicts.append(Conflict("negation", mine.words, flipped[0].words))
            continue
        if not mine.any_hedge and all(_hedges_claim(mine, s) for s in aligned):
            conflicts.append(Conflict("hedge", mine.words, aligned[0].words))
    return conflicts


def _negation_differs(mine: _Sentence, theirs: _Sentence) -> bool:
    """One sentence denies what the other asserts.

    The denied word (a sentence's focus) is asserted in the other, and the two deny none of their shared
    words alike ("uncommon for A to B" and "A does not usually B" both deny B: they agree, whichever
    word each negation lands on first).
    """
    shared = mine.stems & theirs.stems
    if mine.negated & theirs.negated & shared:
        return False
    return bool((mine.focus & theirs.asserted & shared) or (theirs.focus & mine.asserted & shared))


def _hedges_claim(mine: _Sentence, theirs: _Sentence) -> bool:
    """The source sentence hedges most of what it shares with the claim (not a hedge on another part)."""
    shared = mine.stems & theirs.stems
    return len(shared & theirs.hedged) >= HEDGED_SHARE * len(shared)
