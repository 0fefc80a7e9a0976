"""The medication lexicon: every name in `drug_names.yaml` resolved to the molecules it denotes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_LEXICON_PATH = Path(__file__).with_name("drug_names.yaml")


@dataclass(frozen=True)
class DrugMention:
    """One medication name found in a text."""

    text: str
    """The name as written."""
    generics: tuple[str, ...]
    """The molecules it denotes, sorted (a combination brand denotes several)."""
    start: int
    end: int


_WORD = re.compile(r"[A-Za-z0-9]+")
_JOINER = re.compile(r"[\s-]+")


@dataclass(frozen=True, eq=False)
class DrugLexicon:
    """Names to molecules, looked up word by word (a 400-way regex alternation was the hot spot).

    Compared and hashed by identity (`eq=False`), so a lexicon can key the verifier's caches.
    """

    names: Mapping[str, tuple[str, ...]]
    """Normalised name (lower case, words joined by one space) -> the generics it denotes."""
    implied: Mapping[str, frozenset[str]]
    """Generic -> itself plus the shorter generics its name contains ("insulin glargine" -> insulin)."""
    max_words: int

    @classmethod
    def from_mapping(
        cls, generics: Mapping[str, list[str]], combinations: Mapping[str, list[str]]
    ) -> DrugLexicon:
        """Build the lexicon from the YAML's two sections."""
        names: dict[str, tuple[str, ...]] = {}
        entries: list[tuple[str, tuple[str, ...]]] = [
            (name, (_normal(g),)) for g, aliases in generics.items() for name in [g, *aliases]
        ]
        entries += [
            (brand, tuple(sorted(_normal(p) for p in parts))) for brand, parts in combinations.items()
        ]
        for name, denoted in entries:
            if names.setdefault(_normal(name), denoted) != denoted:
                raise ValueError(f"{name!r} names both {names[_normal(name)]} and {denoted}")
        implied = {_normal(g): frozenset(_contained(_normal(g), names)) for g in generics}
        return cls(names=names, implied=implied, max_words=max(len(n.split()) for n in names))

    def find(self, text: str) -> list[DrugMention]:
        """Medication names in `text` on word boundaries, the longest name where names overlap.

        A multi-word name matches across spaces and hyphens only ("Pepto-Bismol", "pepto bismol").
        """
        words = list(_WORD.finditer(text))
        mentions: list[DrugMention] = []
        i = 0
        while i < len(words):
            for size in range(min(self.max_words, len(words) - i), 0, -1):
                span = words[i : i + size]
                if any(
                    not _JOINER.fullmatch(text[a.end() : b.start()])
                    for a, b in zip(span, span[1:], strict=False)
                ):
                    continue
                generics = self.names.get(" ".join(w.group(0).lower() for w in span))
                if generics is not None:
                    start, end = span[0].start(), span[-1].end()
                    mentions.append(DrugMention(text[start:end], generics, start, end))
                    i += size
                    break
            else:
                i += 1
        return mentions

    def canonicalize(self, text: str) -> str:
        """`text` with every medication name replaced by its generic name(s), for word overlap."""
        pieces: list[str] = []
        position = 0
        for mention in self.find(text):
            pieces += [text[position : mention.start], " ".join(mention.generics)]
            position = mention.end
        return "".join([*pieces, text[position:]])


def _normal(name: str) -> str:
    return " ".join(_WORD.findall(name.lower()))


def _contained(generic: str, names: Mapping[str, tuple[str, ...]]) -> set[str]:
    found = {generic}
    words = generic.split()
    for size in range(1, len(words)):
        for i in range(len(words) - size + 1):
            part = " ".join(words[i : i + size])
            if part in names:
                found.update(names[part])
    return found


@lru_cache(maxsize=4)
def load_drug_lexicon(path: Path = DEFAULT_LEXICON_PATH) -> DrugLexicon:
    """Read a lexicon file (cached: the shipped one is read once per process)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("generics"), dict):
        raise ValueError(f"{path}: expected a mapping with a `generics` section")
    return DrugLexicon.from_mapping(data["generics"], data.get("combinations") or {})
