"""Many labelled phrases matched at once on spaCy tokens, with patterns generated from data, never written.

Plain phrases go to a `PhraseMatcher` on NORM (any case; "can't" = "cant" = "can not") or on ORTH (exact
case, for short forms like "K" that are words in lower case); phrases with `*` (up to two words) become
`Matcher` token patterns. Overlaps are returned as found; callers decide which to keep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

T = TypeVar("T")
WILDCARD = "*"


@dataclass(frozen=True)
class Hit(Generic[T]):
    """A phrase found in a doc: the payload it was added with and its token span [start, end)."""

    payload: T
    start: int
    end: int


class PhraseIndex(Generic[T]):
    """Phrases -> payloads, compiled into spaCy matchers against one pipeline's tokenizer."""

    def __init__(self, nlp: Language) -> None:
        self._make_doc: Callable[[str], Doc] = nlp.make_doc
        self._any_case = PhraseMatcher(nlp.vocab, attr="NORM")
        self._cased = PhraseMatcher(nlp.vocab, attr="ORTH")
        self._patterns = Matcher(nlp.vocab)
        self._payloads: list[T] = []
        self._keys: dict[T, str] = {}

    def _key(self, payload: T) -> str:
        if payload not in self._keys:
            self._keys[payload] = str(len(self._payloads))
            self._payloads.append(payload)
        return self._keys[payload]

    def add(self, phrase: str, payload: T, *, cased: bool = False) -> None:
        """Match `phrase` (exactly as written when `cased`, else in any case) and report `payload`."""
        phrase = " ".join(phrase.split())
        if not phrase:
            return
        key = self._key(payload)
        if WILDCARD in phrase.split():
            self._patterns.add(key, [self.pattern(phrase, cased=cased)])
        elif cased:
            self._cased.add(key, [self._make_doc(phrase)])
        else:
            self._any_case.add(key, [self._make_doc(phrase.lower())])

    def pattern(self, phrase: str, *, cased: bool = False) -> list[dict[str, Any]]:
        """The Matcher token pattern of a phrase: one dict per token, `*` = zero to two tokens."""
        pattern: list[dict[str, Any]] = []
        for part in phrase.split(" "):
            if part == WILDCARD:
                pattern.append({"OP": "{,2}"})
                continue
            tokens = self._make_doc(part if cased else part.lower())
            pattern.extend({"ORTH": t.text} if cased else {"NORM": t.norm_} for t in tokens)
        return pattern

    def __call__(self, doc: Doc) -> Iterator[Hit[T]]:
        """Every phrase occurrence in `doc` (overlapping ones included)."""
        vocab_strings = doc.vocab.strings
        for matcher in (self._any_case, self._cased, self._patterns):
            if len(matcher) == 0:
                continue
            for match_id, start, end in matcher(doc):
                yield Hit(self._payloads[int(vocab_strings[match_id])], start, end)

    def __len__(self) -> int:
        return len(self._payloads)
