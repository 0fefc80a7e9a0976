"""BM25 over the stored chunks (bm25s): built at ingest, saved with the retrieval state, memory-mapped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
from numpy.typing import NDArray

from knowledge.chunking import Chunk
from knowledge.text import tokenize, words


@dataclass(frozen=True)
class LexicalHit:
    """A chunk position in the indexed list and its BM25 score."""

    position: int
    score: float


class LexicalIndex:
    """BM25 scores for every chunk; indexes title + heading path + text, as the dense side does."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.size = len(chunks)
        self.vocabulary = frozenset(word for chunk in chunks for word in words(chunk.index_text))
        self._bm25: bm25s.BM25 | None = None
        corpus = [tokenize(chunk.index_text) or [""] for chunk in chunks]
        if corpus:
            self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
            self._bm25.index(corpus, show_progress=False)

    def save(self, folder: Path) -> None:
        """Write the BM25 matrices and vocabulary (bm25s's own format) into `folder`."""
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int, vocabulary: frozenset[str]) -> LexicalIndex:
        """A saved index, its score matrices memory-mapped (shared by every worker, never rebuilt)."""
        index = cls.__new__(cls)
        index.size = size
        index.vocabulary = vocabulary
        index._bm25 = (
            bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
            if size and (folder / "params.index.json").exists()
            else None
        )
        return index

    def scores(self, query: str) -> NDArray[np.float32]:
        """BM25 score of each chunk for `query` (zeros when no query term is in the corpus)."""
        tokens = [
            token for token in tokenize(query) if self._bm25 is not None and token in self._bm25.vocab_dict
        ]
        if not tokens or self._bm25 is None:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def search(self, query: str, n: int, allowed: NDArray[np.bool_] | None = None) -> list[LexicalHit]:
        """Top `n` chunks with a positive score, best first, optionally restricted by a mask."""
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:n]
        return [
            LexicalHit(int(position), float(scores[position])) for position in top if scores[position] > 0
        ]
