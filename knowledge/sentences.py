"""Quotable sentences of a chunk, and their embeddings computed once at ingest.

The offline composer quotes whole sentences from the passages it retrieved, choosing them by
meaning. Embedding those sentences at answer time cost a first-time passage up to a second of CPU, so
ingest embeds every chunk's prose sentences once and stores them with the retrieval state (see
`knowledge.retrieval_state`). The split lives here, beside the index, so ingest and the composer
always agree on what a sentence is.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

SPLITTER_VERSION = 1
"""Bumped whenever `prose_sentences` changes, so stored sentence tables are rebuilt rather than misread."""
MIN_WORDS = 5
MAX_WORDS = 45

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])")
_LINE_MARKER = re.compile(r"^\s*(?:#+|[-*+]|\d+\.)\s*")


def prose_sentences(text: str) -> list[str]:
    """Sentences of a chunk, line by line: headings (no closing punctuation) and list markers dropped."""
    sentences: list[str] = []
    for raw in text.splitlines():
        line = _LINE_MARKER.sub("", raw).strip()
        if not line or line[-1] not in ".!?":
            continue
        parts = (part.strip() for part in _SENTENCE_BREAK.split(line.strip()))
        sentences.extend(
            s for s in parts if s and MIN_WORDS <= len(s.split()) <= MAX_WORDS and s[-1] in ".!?"
        )
    return sentences


@dataclass(frozen=True)
class PassageSentences:
    """A passage's quotable sentences in reading order, with one unit vector per sentence."""

    texts: tuple[str, ...]
    vectors: NDArray[np.float32]


class SentenceSource(Protocol):
    """What a loaded retrieval state offers the composer (`knowledge.retrieval_state.RetrievalState`)."""

    revision: str

    @property
    def has_sentences(self) -> bool:
        """Whether ingest stored sentence vectors in this state."""
        ...

    def passage_sentences(self, chunk_id: str) -> PassageSentences | None:
        """The stored sentences of one chunk, if this state has them."""
        ...


_published: weakref.WeakValueDictionary[int, SentenceSource] = weakref.WeakValueDictionary()
"""Loaded states by object identity: two indexes of one corpus share a revision but not a lifetime."""


def publish(state: SentenceSource) -> None:
    """Make a loaded state's sentence vectors findable by chunk id for as long as a retriever holds it.

    Chunk ids are content hashes (article, section, text), so any state that knows an id holds the
    right sentences for it: the lookup needs no handle on a particular index.
    """
    if state.has_sentences:
        _published[id(state)] = state


def stored_sentences(chunk_id: str) -> PassageSentences | None:
    """The sentences of a chunk embedded at ingest, or None when no loaded state has them."""
    for state in list(_published.values()):
        found = state.passage_sentences(chunk_id)
        if found is not None:
            return found
    return None


def unique_texts(groups: Sequence[Sequence[str]]) -> list[str]:
    """Every distinct sentence of `groups`, first occurrence first (boilerplate is embedded once)."""
    return list(dict.fromkeys(text for group in groups for text in group))
