"""The stored chunks as columns: what a query needs for every chunk is an array, the rest is read lazily.

A query touches every chunk only through filters (audience, topics) and article ids; the text and
citation fields are needed for the few passages it returns. So the table keeps ids, article,
audience and topic codes as arrays (memory-mapped when loaded), and each chunk's full record as one
JSON line in a blob decoded on demand. Loading a 20,000-chunk table then costs a few milliseconds,
not the hundreds a full decode would.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from knowledge.chunking import Chunk

RECORDS = "chunks.jsonl"
OFFSETS = "chunk_offsets.npy"
COLUMNS = "columns.json"
ARTICLE_CODES = "article_codes.npy"
AUDIENCE_CODES = "audience_codes.npy"
TOPIC_MATRIX = "topic_matrix.npy"


def _record(chunk: Chunk) -> bytes:
    return json.dumps(
        {
            "id": chunk.id,
            "article_id": chunk.article_id,
            "title": chunk.title,
            "section": chunk.section,
            "text": chunk.text,
            "guideline": chunk.guideline,
            "audience": chunk.audience,
            "topics": list(chunk.topics),
            "source": chunk.source,
            "corpus_version": chunk.corpus_version,
            "reviewed": chunk.reviewed,
        },
        ensure_ascii=False,
    ).encode()


def _chunk(raw: bytes) -> Chunk:
    data = json.loads(raw)
    return Chunk(**{**data, "topics": tuple(data["topics"])})


def _codes(values: Sequence[str]) -> tuple[list[str], NDArray[np.int32]]:
    names = sorted(set(values))
    lookup = {name: code for code, name in enumerate(names)}
    return names, np.array([lookup[value] for value in values], dtype=np.int32)


class ChunkTable:
    """Chunks by position (the order the collection returned them in, which BM25 ties follow)."""

    def __init__(
        self,
        ids: list[str],
        records: bytes | NDArray[np.uint8],
        offsets: NDArray[np.int64],
        articles: list[str],
        article_codes: NDArray[np.int32],
        audiences: list[str],
        audience_codes: NDArray[np.int32],
        topics: list[str],
        topic_matrix: NDArray[np.bool_],
    ) -> None:
        self.ids = ids
        self.positions = {chunk_id: position for position, chunk_id in enumerate(ids)}
        self.articles = articles
        self.article_codes = article_codes
        self.audiences = audiences
        self.audience_codes = audience_codes
        self.topics = topics
        self.topic_matrix = topic_matrix
        self._records = records
        self._offsets = offsets
        self.chunk = lru_cache(maxsize=4096)(self._decode)
        """`chunk(position)`: the full chunk, decoded once and kept for the passages asked for often."""

    @classmethod
    def from_chunks(cls, chunks: Sequence[Chunk]) -> ChunkTable:
        """A table of `chunks` in their given order."""
        records = [_record(chunk) for chunk in chunks]
        offsets = np.zeros(len(records) + 1, dtype=np.int64)
        np.cumsum([len(record) for record in records], out=offsets[1:])
        articles, article_codes = _codes([chunk.article_id for chunk in chunks])
        audiences, audience_codes = _codes([chunk.audience for chunk in chunks])
        topics = sorted({topic for chunk in chunks for topic in chunk.topics})
        topic_index = {topic: i for i, topic in enumerate(topics)}
        matrix = np.zeros((len(chunks), len(topics)), dtype=bool)
        for position, chunk in enumerate(chunks):
            for topic in chunk.topics:
                matrix[position, topic_index[topic]] = True
        return cls(
            [chunk.id for chunk in chunks],
            b"".join(records),
            offsets,
            articles,
            article_codes,
            audiences,
            audience_codes,
            topics,
            matrix,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def _decode(self, position: int) -> Chunk:
        start, end = int(self._offsets[position]), int(self._offsets[position + 1])
        return _chunk(bytes(self._records[start:end]))

    def article_id(self, position: int) -> str:
        """The article a chunk belongs to, without decoding the chunk."""
        return self.articles[int(self.article_codes[position])]

    def allowed(self, audience: str | None, topics: Sequence[str] | None) -> NDArray[np.bool_] | None:
        """Mask of chunks for an audience and any of some topics; None when nothing is filtered."""
        if audience is None and not topics:
            return None
        mask = np.ones(len(self.ids), dtype=bool)
        if audience is not None:
            code = self.audiences.index(audience) if audience in self.audiences else -1
            mask &= self.audience_codes == code
        if topics:
            columns = [self.topics.index(topic) for topic in set(topics) if topic in self.topics]
            mask &= self.topic_matrix[:, columns].any(axis=1) if columns else False
        return mask

    def article_ids(self, mask: NDArray[np.bool_]) -> list[str]:
        """Sorted distinct articles of the chunks a mask selects."""
        return sorted(self.articles[int(code)] for code in np.unique(self.article_codes[mask]))

    def save(self, folder: Path) -> None:
        """Write the table's files into `folder`."""
        (folder / RECORDS).write_bytes(bytes(self._records))
        np.save(folder / OFFSETS, self._offsets)
        np.save(folder / ARTICLE_CODES, self.article_codes)
        np.save(folder / AUDIENCE_CODES, self.audience_codes)
        np.save(folder / TOPIC_MATRIX, self.topic_matrix)
        columns = {
            "ids": self.ids,
            "articles": self.articles,
            "audiences": self.audiences,
            "topics": self.topics,
        }
        (folder / COLUMNS).write_text(json.dumps(columns, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> ChunkTable:
        """Open a saved table; arrays and the record blob are memory-mapped, not read."""
        columns = json.loads((folder / COLUMNS).read_text(encoding="utf-8"))
        records = (
            np.memmap(folder / RECORDS, dtype=np.uint8, mode="r")
            if (folder / RECORDS).stat().st_size
            else b""
        )
        return cls(
            columns["ids"],
            records,
            load_array(folder / OFFSETS),
            columns["articles"],
            load_array(folder / ARTICLE_CODES),
            columns["audiences"],
            load_array(folder / AUDIENCE_CODES),
            columns["topics"],
            load_array(folder / TOPIC_MATRIX),
        )


def load_array(path: Path) -> NDArray[Any]:
    """A saved array, memory-mapped (read-only, shared by every worker) unless it holds no data."""
    try:
        array: NDArray[Any] = np.load(path, mmap_mode="r")
    except ValueError:  # numpy cannot map an array of size zero
        array = np.load(path)
    return array
