"""Words with their places: what the relation and qualifier checks compare between claim and source.

Coverage treats a sentence as a bag of stems; the structural checks need order and clauses too ("A
before B", "raised blood pressure"), so each word keeps its character span, its stem and the clause it
sits in (a clause ends at , ; : . ! ? or a bracket). Medication names are rewritten to their generic
names first, exactly as coverage does, so "Glucophage" and "metformin" are the same argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.grounding.lexicon import DrugLexicon
from agent.grounding.text import STOP_WORDS, stem

_PIECE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:'[A-Za-z]+)?|[;:!?()\[\]]|[.,](?!\d)")
"""A word (as `text.tokenize` reads one) or a clause-ending mark ("1,000" and "0.5" hold none)."""


@dataclass(frozen=True)
class Token:
    """One word of a text."""

    word: str
    """Lower case, as written."""
    stem: str
    start: int
    end: int
    clause: int
    """Index of the clause the word is in; words of different clauses are never one argument."""

    @property
    def content(self) -> bool:
        """Not a function word (the same test coverage applies)."""
        return self.word not in STOP_WORDS and len(self.word) > 1


@dataclass(frozen=True)
class Tokens:
    """A text as the checks read it: the canonical text and its words in order."""

    text: str
    """The text with medication names replaced by their generic names (offsets refer to this)."""
    words: tuple[Token, ...]


def read_tokens(text: str, lexicon: DrugLexicon) -> Tokens:
    """Words of `text` (drug names canonicalised), with stems, spans and clause numbers."""
    canonical = lexicon.canonicalize(text)
    words: list[Token] = []
    clause = 0
    for match in _PIECE.finditer(canonical):
        piece = match.group(0)
        if not piece[0].isalpha():
            clause += 1
            continue
        word = piece.lower()
        words.append(Token(word, stem(word), match.start(), match.end(), clause))
    return Tokens(canonical, tuple(words))
