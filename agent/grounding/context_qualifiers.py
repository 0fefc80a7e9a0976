"""`QualifierReader` on ConText: the safety screen's negation rules plus the hedges of clinical prose.

The rules are the shipped ConText table's negation and scope-ending rows (`agent/language/data/
context.yaml`: NEGATED_EXISTENCE and ANY, so the verifier and the screen read "not", "no", "without",
"denies" alike) and the hedges and word-negatives of clinical prose in `qualifiers.yaml`. Patient-message categories (experiencer, history,
informational, generic) say nothing about whether a sentence states its source and are left out.
The verifier caches what it reads per text, so an answer's passages are read once, not per sentence.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language

from agent.grounding.qualifiers import Qualified
from agent.grounding.tokens import Tokens
from agent.language.context import ConTextComponent, ContextRules, shipped_rules

QUALIFIERS_PATH = Path(__file__).with_name("qualifiers.yaml")
SHARED_CATEGORIES = frozenset({"NEGATED_EXISTENCE", "ANY"})


def claim_rules(path: Path = QUALIFIERS_PATH) -> ContextRules:
    """The shared negation rules with the clinical-prose hedges."""
    shared = shipped_rules()
    own = ContextRules.load(path)
    return ContextRules(
        rules=tuple(r for r in shared.rules if r.category in SHARED_CATEGORIES) + own.rules,
        max_scope={**shared.max_scope, **own.max_scope},
        list_words=shared.list_words,
    )


class ConTextQualifiers:
    """Reads negation and hedges with ConText over spaCy's blank English tokenizer and sentencizer."""

    def __init__(self, rules: ContextRules | None = None) -> None:
        self.nlp: Language = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.context = ConTextComponent(self.nlp, rules or claim_rules())

    def read(self, tokens: Tokens) -> Qualified:
        """Flags for every word of `tokens` (its canonical text is what ConText reads)."""
        doc = self.nlp(tokens.text)
        triggers = self.context.triggers(doc, [])
        negated: list[bool] = []
        hedged: list[bool] = []
        trigger: list[bool] = []
        sentence: list[int] = []
        starts = {s.start: n for n, s in enumerate(doc.sents)}
        for word in tokens.words:
            span = doc.char_span(word.start, word.end, alignment_mode="expand")
            first, last = (span.start, span.end) if span is not None else (0, 0)
            # A word covers a trigger as well as sitting in one: "cannot" is one word here, "can" + "not"
            # for spaCy, and it is a negation phrase.
            covering = [t for t in triggers if t.covers(first, last) or (first < t.end and t.start < last)]
            negated.append(any(t.rule.category == "NEGATED_EXISTENCE" for t in covering))
            hedged.append(any(t.rule.category == "POSSIBLE" for t in covering))
            trigger.append(any(first < t.end and t.start < last for t in triggers))
            sentence.append(starts[doc[first].sent.start])
        return Qualified(tuple(negated), tuple(hedged), tuple(trigger), tuple(sentence))


@lru_cache(maxsize=1)
def context_qualifiers() -> ConTextQualifiers:
    """The shared reader (building it loads spaCy: about a second, once per process)."""
    return ConTextQualifiers()
