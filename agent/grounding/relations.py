"""Same words, wrong meaning: swapped sides of a relation, and flipped directions.

Coverage counts a claim's words in its source, so "metformin is preferred over insulin" is fully
covered by "insulin is preferred over metformin", and "raised blood pressure" by "lowered blood
pressure ... raised heart rate". Two checks, both driven by `relations.yaml`:

- **Swapped sides.** For each asymmetric relation in the claim (cause, order, preference, conversion,
  "than"), the content words on each side are compared with the same relation in the source. If the
  source has it only the other way round, the claim swapped them. Inverse phrasings ("B is caused by
  A", "B after A", "B is lower than A") are turned round before comparing, so they still agree.
- **Flipped direction.** For each word on a pole of a scale (increase/decrease, improve/worsen,
  common/rare, ...), its neighbouring content words are looked for around the same scale's words in the
  source. Found only around the opposite pole: the claim flipped the direction.

Both are deliberately narrow: a check fires only when the source states the same relation or scale
about the same words, the other way. A claim the source says nothing about is coverage's business.
Negation reverses a pole ("did not lower" is not "lowered"); the caller passes which words are negated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

from agent.grounding.tokens import Token, Tokens

RELATIONS_PATH = Path(__file__).with_name("relations.yaml")
ARGUMENT_WORDS = 3
"""Content words kept on each side of a relation (the nearest ones, inside its clause)."""
COMPARATIVE_REACH = 3
"""How far before "than" its comparative word may be ("more effective than")."""

Pole = Literal[1, -1]
Negated = Callable[[Tokens, int], bool]
"""Whether word `i` of a text is negated (ConText); a negated pole counts as the opposite pole."""


@dataclass(frozen=True)
class Conflict:
    """A place where the claim says the opposite of, or something incompatible with, its source."""

    kind: Literal["swapped", "direction", "negation", "hedge"]
    claim: str
    """The claim's words that conflict."""
    source: str
    """The source's words they conflict with."""

    def describe(self) -> str:
        """For the verdict's reason."""
        what = {
            "swapped": "sides swapped",
            "direction": "direction flipped",
            "negation": "negation flipped",
            "hedge": "hedge made certain",
        }[self.kind]
        return f"{what}: {self.claim!r} vs source {self.source!r}"


@dataclass(frozen=True)
class _Rule:
    family: str
    inverse: bool
    comparative: bool


@dataclass(frozen=True)
class RelationTables:
    """`relations.yaml`, indexed for phrase lookup."""

    phrases: dict[tuple[str, ...], _Rule]
    poles: dict[str, tuple[str, Pole]]
    """Direction word -> (scale, pole)."""
    comparatives: frozenset[str]
    """The direction words whose scale can make a comparison before "than"."""
    window: int
    longest: int

    @classmethod
    def load(cls, path: Path = RELATIONS_PATH) -> RelationTables:
        """Read and check the table (a phrase may name one relation only, a word one pole only)."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        phrases: dict[tuple[str, ...], _Rule] = {}
        for relation in data["relations"]:
            comparative = bool(relation.get("comparative", False))
            for key, inverse in (("forward", False), ("inverse", True)):
                for phrase in relation.get(key) or []:
                    words = tuple(str(phrase).lower().split())
                    rule = _Rule(str(relation["name"]), inverse, comparative)
                    if phrases.setdefault(words, rule) != rule:
                        raise ValueError(f"{path}: {phrase!r} names two relations")
        poles: dict[str, tuple[str, Pole]] = {}
        comparatives: set[str] = set()
        for scale in data["directions"]:
            for key, pole in (("up", 1), ("down", -1)):
                for word in scale[key]:
                    entry: tuple[str, Pole] = (str(scale["name"]), 1 if pole == 1 else -1)
                    if poles.setdefault(str(word).lower(), entry) != entry:
                        raise ValueError(f"{path}: {word!r} is on two poles")
                    if scale.get("comparative", False):
                        comparatives.add(str(word).lower())
        longest = max(len(p) for p in phrases)
        return cls(phrases, poles, frozenset(comparatives), int(data.get("window", 3)), longest)


@lru_cache(maxsize=2)
def relation_tables(path: Path = RELATIONS_PATH) -> RelationTables:
    """The shipped tables, read once."""
    return RelationTables.load(path)


@dataclass(frozen=True)
class _Occurrence:
    family: str
    first: frozenset[str]
    second: frozenset[str]
    words: str


def _not_negated(tokens: Tokens, index: int) -> bool:
    return False


@dataclass(frozen=True, eq=False)
class RelationView:
    """What one text states about relations and directions, computed once per text."""

    occurrences: tuple[_Occurrence, ...]
    directions: tuple[tuple[str, str, Pole, frozenset[str]], ...]
    """(word, scale, pole, neighbouring stems) of each direction word not inside a relation."""


def relation_view(
    tokens: Tokens, tables: RelationTables | None = None, negated: Negated = _not_negated
) -> RelationView:
    """Index `tokens` for `conflicts_between` (a cited text's view can be reused for every sentence)."""
    tables = tables or relation_tables()
    occurrences, used = _occurrences(tokens, tables)
    return RelationView(tuple(occurrences), tuple(_directions(tokens, tables, used, negated)))


def conflicts_between(claim: RelationView, sources: Sequence[RelationView]) -> list[Conflict]:
    """Swapped sides and flipped directions of a claim against all its sources together."""
    conflicts = _swaps(list(claim.occurrences), [o for s in sources for o in s.occurrences])
    directions = [d for s in sources for d in s.directions]
    for word, scale, pole, near in claim.directions:
        agree = [w for w, sc, p, n in directions if sc == scale and p == pole and near & n]
        disagree = [w for w, sc, p, n in directions if sc == scale and p != pole and near & n]
        if disagree and not agree:
            conflicts.append(Conflict("direction", word, disagree[0]))
    return conflicts


def relation_conflicts(
    claim: Tokens,
    sources: Sequence[Tokens],
    tables: RelationTables | None = None,
    negated: Negated = _not_negated,
) -> list[Conflict]:
    """`conflicts_between` straight from tokens (no negation unless `negated` says so)."""
    tables = tables or relation_tables()
    return conflicts_between(
        relation_view(claim, tables, negated), [relation_view(s, tables, negated) for s in sources]
    )


def _swaps(claim: list[_Occurrence], source: list[_Occurrence]) -> list[Conflict]:
    conflicts = []
    for mine in claim:
        first, second = mine.first - mine.second, mine.second - mine.first
        if not first or not second:
            continue
        same = [o for o in source if o.family == mine.family and first & o.first and second & o.second]
        swapped = [o for o in source if o.family == mine.family and first & o.second and second & o.first]
        if swapped and not same:
            conflicts.append(Conflict("swapped", mine.words, swapped[0].words))
    return conflicts


def _occurrences(tokens: Tokens, tables: RelationTables) -> tuple[list[_Occurrence], set[int]]:
    """Relations found in `tokens` (sides in canonical order), and the word indexes they used."""
    words = tokens.words
    found: list[_Occurrence] = []
    used: set[int] = set()
    i = 0
    while i < len(words):
        for size in range(min(tables.longest, len(words) - i), 0, -1):
            span = words[i : i + size]
            rule = tables.phrases.get(tuple(t.word for t in span))
            if rule is None or len({t.clause for t in span}) > 1:
                continue
            occurrence, extra = _occurrence(tokens, i, i + size, rule, tables)
            if occurrence is not None:
                found.append(occurrence)
                used.update(range(i, i + size), extra)
            i += size
            break
        else:
            i += 1
    return found, used


def _occurrence(
    tokens: Tokens, start: int, end: int, rule: _Rule, tables: RelationTables
) -> tuple[_Occurrence | None, set[int]]:
    words = tokens.words
    clause = words[start].clause
    inverse = rule.inverse
    extra: set[int] = set()
    left_end = start
    if rule.comparative:
        # The comparison is the run of comparative words just before "than" ("less safe", "more"),
        # skipping function words; their poles multiply. The first side begins before it.
        pole = 1
        found = False
        j = start - 1
        while j >= 0 and start - j <= COMPARATIVE_REACH and words[j].clause == clause:
            if words[j].word in tables.comparatives:
                pole *= tables.poles[words[j].word][1]
                found = True
                extra.add(j)
                left_end = j
            elif found and words[j].content:
                break
            j -= 1
        if not found:
            return None, extra
        inverse = pole == -1
    before = _side(words[:left_end][::-1], clause, tables)
    after = _side(words[end:], clause, tables)
    if not before or not after:
        return None, extra
    first, second = (after, before) if inverse else (before, after)
    family = rule.family
    text = tokens.text[words[max(0, start - 2)].start : words[min(len(words), end + 2) - 1].end]
    return _Occurrence(family, frozenset(first), frozenset(second), text), extra


def _side(words: Sequence[Token], clause: int, tables: RelationTables) -> set[str]:
    """The nearest content stems in the clause, skipping direction words and relation phrases."""
    side: set[str] = set()
    for token in words:
        if token.clause != clause or len(side) >= ARGUMENT_WORDS:
            break
        if token.content and token.word not in tables.poles and (token.word,) not in tables.phrases:
            side.add(token.stem)
    return side


def _directions(
    tokens: Tokens, tables: RelationTables, skip: set[int], negated: Negated
) -> list[tuple[str, str, Pole, frozenset[str]]]:
    """(word, scale, pole, neighbouring stems) for each direction word not already part of a relation."""
    words = tokens.words
    out: list[tuple[str, str, Pole, frozenset[str]]] = []
    for i, token in enumerate(words):
        entry = tables.poles.get(token.word)
        if entry is None or i in skip:
            continue
        scale, pole = entry
        if negated(tokens, i):
            pole = -1 if pole == 1 else 1
        lo, hi = max(0, i - tables.window), min(len(words), i + tables.window + 1)
        near = frozenset(
            w.stem
            for w in words[lo:hi]
            if w.clause == token.clause and w.content and w.word not in tables.poles
        )
        if near:
            out.append((token.word, scale, pole, near))
    return out
