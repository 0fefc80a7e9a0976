"""Target rules: which phrases name which concept, gathered from data tables by pluggable sources.

A *source* is a function returning `TargetRule`s from one table (observations, drug names, specialties,
red flags, the starter terms). `target_rules()` merges the registered sources; the pipeline compiles the
rules into spaCy matchers. To add a table, write a source in `sources.py` (or anywhere) and register it
with `register_source`, or pass `sources=` to `build_pipeline`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from agent.language.models import Kind
from agent.language.phrases import PhraseIndex


@dataclass(frozen=True)
class TargetRule:
    """The phrases naming one concept.

    `phrases` match in any case and tolerate a typo in long words; `exact` match in any case, never with
    a typo (abbreviations: "a1c", "INR"); `cased` match only as written ("K", "BUN", "EF").
    """

    concept_id: str
    kind: Kind
    phrases: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    cased: tuple[str, ...] = ()
    source: str = ""


TargetSource = Callable[[], Iterable[TargetRule]]

_SOURCES: dict[str, TargetSource] = {}


def register_source(name: str, source: TargetSource) -> None:
    """Add (or replace) a named source of target rules used by the default pipeline."""
    _SOURCES[name] = source


def registered_sources() -> dict[str, TargetSource]:
    """The registered sources by name, in registration order."""
    return dict(_SOURCES)


@dataclass(frozen=True)
class TargetKey:
    """What a matched phrase stands for (the matcher payload)."""

    concept_id: str
    kind: Kind
    source: str


@dataclass(frozen=True)
class TargetHit:
    """A target found in a doc, as a token span."""

    key: TargetKey
    start: int
    end: int

    def span(self, doc: Doc) -> Span:
        """The tokens of the hit."""
        return doc[self.start : self.end]


class TargetMatcher:
    """Pipeline component: finds every target phrase and stores `doc._.targets` (list of TargetHit).

    Overlapping hits of one kind keep the longest ("chest pain" over "pain"); different kinds may overlap
    ("sugar is low": glucose lab and hypoglycemia condition), since each kind answers a different question.
    """

    def __init__(self, nlp: Language, rules: Iterable[TargetRule]) -> None:
        self.index: PhraseIndex[TargetKey] = PhraseIndex(nlp)
        self.vocabulary: set[str] = set()
        for rule in rules:
            key = TargetKey(rule.concept_id, rule.kind, rule.source)
            for phrase in rule.phrases:
                self.index.add(phrase, key)
                self.vocabulary.update(t.norm_ for t in nlp.make_doc(phrase.lower()) if t.is_alpha)
            for phrase in rule.exact:
                self.index.add(phrase, key)
            for phrase in rule.cased:
                self.index.add(phrase, key, cased=True)

    def __call__(self, doc: Doc) -> Doc:
        """Find targets; store them on `doc._.targets` in text order."""
        hits = list(_longest_per_kind(TargetHit(h.payload, h.start, h.end) for h in self.index(doc)))
        doc._.targets = _without_names_inside_medicines(hits)
        return doc


def _without_names_inside_medicines(hits: list[TargetHit]) -> list[TargetHit]:
    """Drop a lab or vital named only as part of a longer medicine phrase ("blood pressure pills").

    Kinds may overlap ("sugar is low" is a lab and a condition), but "my blood pressure meds" asks about
    medicines, not readings.
    """
    medicines = [h for h in hits if h.key.kind == "medication"]

    def inside(hit: TargetHit) -> bool:
        return any(
            m.start <= hit.start and hit.end <= m.end and (m.end - m.start) > (hit.end - hit.start)
            for m in medicines
        )

    return [h for h in hits if not (h.key.kind == "lab_or_vital" and inside(h))]


def _longest_per_kind(hits: Iterable[TargetHit]) -> Iterator[TargetHit]:
    """Drop duplicates and, within a kind, hits inside a longer (or equal, earlier) overlapping one."""
    by_kind: dict[str, list[TargetHit]] = {}
    for hit in dict.fromkeys(hits):
        by_kind.setdefault(hit.key.kind, []).append(hit)
    kept: list[TargetHit] = []
    for group in by_kind.values():
        taken: list[TargetHit] = []
        for hit in sorted(group, key=lambda h: (-(h.end - h.start), h.start)):
            clash = [t for t in taken if hit.start < t.end and t.start < hit.end]
            if not clash or all(t.start == hit.start and t.end == hit.end for t in clash):
                taken.append(hit)
        kept.extend(taken)
    return iter(sorted(kept, key=lambda h: (h.start, h.end, h.key.kind, h.key.concept_id)))
