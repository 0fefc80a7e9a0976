"""Query normalisation: lay-term expansion (data in `lexicon.yaml`) and typo repair against the corpus.

Patients write "water pill" and "sugar"; articles say "diuretic" and "glucose". Expansions add
the clinical words to the query rather than replacing the patient's own. Typos are repaired only
towards words the corpus actually contains, only for longer words with a close match, and never
for an everyday English word (one the model's tokenizer keeps whole, so "night" does not become
"light"), so an unrelated question ("carburetor") is not bent into a relevant-looking one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from knowledge.text import STOP_WORDS, normalize, stem, words

LEXICON_PATH = Path(__file__).resolve().parent / "lexicon.yaml"
MIN_TYPO_LENGTH = 5
TYPO_SCORE_CUTOFF = 80.0


@dataclass(frozen=True)
class NormalizedQuery:
    """A query ready for both searches."""

    original: str
    text: str
    """Lowercased query with typos repaired and clinical expansions appended."""
    corrections: tuple[tuple[str, str], ...] = ()
    expansions: tuple[str, ...] = ()
    unknown_words: tuple[str, ...] = ()
    """Content words neither in the corpus nor repairable towards it."""


@dataclass(frozen=True)
class SpellingVocabulary:
    """The words a corpus uses, their stems, and the typo-repair candidates (sorted, so ties are stable).

    Computed at ingest and stored with the retrieval state: stemming a large corpus's vocabulary is
    tens of milliseconds that the first query after an ingest should not pay.
    """

    words: frozenset[str]
    stems: frozenset[str]
    choices: list[str]

    @classmethod
    def of(cls, vocabulary: Iterable[str]) -> SpellingVocabulary:
        """Stems and typo candidates of a set of words."""
        known = frozenset(vocabulary)
        return cls(
            known,
            frozenset(stem(word) for word in known),
            sorted(word for word in known if len(word) >= MIN_TYPO_LENGTH - 1),
        )

    def with_words(self, extra: Iterable[str]) -> SpellingVocabulary:
        """This vocabulary plus a few more words (the lexicon's own), without re-stemming the rest."""
        added = [word for word in dict.fromkeys(extra) if word not in self.words]
        if not added:
            return self
        choices = list(self.choices)
        for word in added:
            if len(word) >= MIN_TYPO_LENGTH - 1:
                bisect.insort(choices, word)
        return SpellingVocabulary(
            self.words | frozenset(added), self.stems | frozenset(stem(word) for word in added), choices
        )

    def to_json(self) -> dict[str, list[str]]:
        """Plain lists for the state file."""
        return {"words": sorted(self.words), "stems": sorted(self.stems), "choices": self.choices}

    @classmethod
    def from_json(cls, data: Mapping[str, list[str]]) -> SpellingVocabulary:
        """Inverse of `to_json`."""
        return cls(frozenset(data["words"]), frozenset(data["stems"]), list(data["choices"]))


class Lexicon:
    """Lay-term expansions plus a spelling vocabulary taken from the indexed chunks."""

    def __init__(
        self,
        expansions: Mapping[str, Iterable[str]],
        vocabulary: Iterable[str] | SpellingVocabulary = (),
        is_common_word: Callable[[str], bool] | None = None,
        _patterns: list[tuple[re.Pattern[str], str]] | None = None,
    ) -> None:
        self.expansions = {normalize(key): tuple(values) for key, values in expansions.items()}
        self._patterns = _patterns or [
            (re.compile(r"(?<![a-z0-9])" + re.escape(key) + r"(?![a-z0-9])"), key) for key in self.expansions
        ]
        self._is_common_word = is_common_word or (lambda word: False)
        spelling = (
            vocabulary if isinstance(vocabulary, SpellingVocabulary) else SpellingVocabulary.of(vocabulary)
        )
        spelling = spelling.with_words(word for key in self.expansions for word in words(key))
        self.vocabulary = spelling.words
        self._stems = spelling.stems
        self._choices = spelling.choices

    def with_vocabulary(self, vocabulary: Iterable[str] | SpellingVocabulary) -> Lexicon:
        """The same expansions with a new spelling vocabulary (after the corpus changed)."""
        return Lexicon(self.expansions, vocabulary, self._is_common_word, self._patterns)

    def normalize(self, query: str) -> NormalizedQuery:
        """Repair typos, then append the clinical terms of every lay phrase found."""
        corrections: list[tuple[str, str]] = []
        repaired: list[str] = []
        for word in words(query):
            fixed = self._correct(word)
            if fixed != word:
                corrections.append((word, fixed))
            repaired.append(fixed)
        text = " ".join(repaired)
        added: list[str] = []
        for pattern, key in self._patterns:  # overlapping phrases all count: "blood sugar" and "sugar"
            if pattern.search(text):
                added.extend(term for term in self.expansions[key] if term not in added)
        full = f"{text} {' '.join(added)}".strip() if added else text
        unknown = tuple(word for word in repaired if not self.knows(word))
        return NormalizedQuery(query, full, tuple(corrections), tuple(added), unknown)

    def knows(self, word: str) -> bool:
        """Whether the corpus (or the lexicon) uses this word or another form of it."""
        return word in self.vocabulary or word in STOP_WORDS or word.isdigit() or stem(word) in self._stems

    def _correct(self, word: str) -> str:
        if len(word) < MIN_TYPO_LENGTH or self.knows(word) or self._is_common_word(word):
            return word  # a correctly spelled everyday word is not a typo of some corpus word
        if not self._choices:
            return word
        match = process.extractOne(word, self._choices, scorer=fuzz.ratio, score_cutoff=TYPO_SCORE_CUTOFF)
        return str(match[0]) if match else word


@lru_cache(maxsize=4)
def load_expansions(path: Path = LEXICON_PATH) -> dict[str, tuple[str, ...]]:
    """The lay-term map from YAML."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        str(key): tuple(str(value) for value in values) for key, values in data.get("expansions", {}).items()
    }
