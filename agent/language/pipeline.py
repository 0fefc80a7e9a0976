"""The language pipeline: spaCy blank English + our components, built once per process.

    sentencizer -> carecoord_targets (typo repair, target rules) -> carecoord_context (ConText)
                -> carecoord_times (time phrases) -> carecoord_quantities (numbers with units)

`analyze()` runs it and resolves the time phrases against a `Clock` (past or future preference).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import agent.language.sources  # noqa: F401  (registers the shipped target sources)
from agent.language.context import ConTextComponent
from agent.language.models import Analysis, TimeExpression
from agent.language.quantities import QuantityFinder
from agent.language.targets import TargetMatcher, registered_sources
from agent.language.times import Direction, TimeMatcher, resolve_times
from agent.language.typos import TypoRepair
from tools.clock import Clock

MAX_CHARS = 5_000
"""Longer messages are analysed on their first 5,000 characters (a chat message, not a document)."""

for _name in ("targets", "mentions", "time_spans", "quantities"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


class _Targets:
    """Typo repair, then target matching, as one component (both need the same vocabulary)."""

    def __init__(self, nlp: Language, sources: Sequence[str]) -> None:
        available = registered_sources()
        missing = [s for s in sources if s not in available]
        if missing:
            raise ValueError(f"unknown target sources {missing}; registered: {list(available)}")
        self.matcher = TargetMatcher(nlp, (rule for name in sources for rule in available[name]()))
        self.typos = TypoRepair(self.matcher.vocabulary)

    def __call__(self, doc: Doc) -> Doc:
        return self.matcher(self.typos(doc))


def _make_targets(nlp: Language, name: str, sources: list[str] | None) -> _Targets:
    return _Targets(nlp, sources if sources is not None else list(registered_sources()))


def _make_context(nlp: Language, name: str) -> ConTextComponent:
    return ConTextComponent(nlp)


def _make_times(nlp: Language, name: str) -> TimeMatcher:
    return TimeMatcher(nlp)


def _make_quantities(nlp: Language, name: str) -> QuantityFinder:
    return QuantityFinder(nlp)


Language.factory("carecoord_targets", default_config={"sources": None}, func=_make_targets)
Language.factory("carecoord_context", func=_make_context)
Language.factory("carecoord_times", func=_make_times)
Language.factory("carecoord_quantities", func=_make_quantities)


def build_pipeline(sources: Sequence[str] | None = None) -> Language:
    """A fresh pipeline; `sources` names registered target sources (default: all of them)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("carecoord_targets", config={"sources": list(sources) if sources is not None else None})
    nlp.add_pipe("carecoord_context")
    nlp.add_pipe("carecoord_times")
    nlp.add_pipe("carecoord_quantities")
    return nlp


@lru_cache(maxsize=1)
def language_pipeline() -> Language:
    """The shared pipeline with every registered source, built on first use (about a second)."""
    return build_pipeline()


@lru_cache(maxsize=256)
def _parsed(nlp: Language, text: str) -> Doc:
    """The pipeline's parse of `text`, once per message: the screen and the planner both analyse it.

    The parse does not depend on the clock (only resolving its time phrases does, in `analyze`), and
    nothing changes a parsed Doc afterwards.
    """
    return nlp(text)


def analyze(
    text: str,
    *,
    clock: Clock | None = None,
    prefer: Direction = "past",
    nlp: Language | None = None,
) -> Analysis:
    """Understand one message: mentions with ConText flags, time windows, numbers with units.

    `clock` fixes "now" and the timezone (default: wall clock, UTC); `prefer` is the direction of ambiguous
    times: `past` for record questions, `future` for bookings ("in january").
    """
    doc = _parsed(nlp or language_pipeline(), text[:MAX_CHARS])
    return Analysis(
        text=doc.text,
        mentions=tuple(doc._.mentions or ()),
        times=tuple(resolve_times(doc, clock or Clock(), prefer)),
        quantities=tuple(doc._.quantities or ()),
    )


def parse_times(
    text: str, *, clock: Clock | None = None, prefer: Direction = "past", nlp: Language | None = None
) -> tuple[TimeExpression, ...]:
    """Only the time phrases of `text` as windows (e.g. a tool argument "last 6 months")."""
    return analyze(text, clock=clock, prefer=prefer, nlp=nlp).times
