"""Everything a query needs besides Chroma, built at ingest and saved beside the collection.

The hybrid retriever used to rebuild BM25 and its spelling vocabulary from every stored chunk on the
first query after any ingest, under its lock (4.9 s and +483 MB per worker at 50x the shipped corpus).
Now ingest builds that state once, with the embeddings of every chunk's quotable sentences, and saves
it under `<root>/<collection>/<revision>/`, where the revision is a content hash of the collection that
ingest also writes into the collection's metadata. A worker that sees a new revision opens the saved
files (arrays memory-mapped, so every worker shares one copy in the page cache) in milliseconds.

Files of one state (`FORMAT` in `state.json` says how to read them):
`state.json` (manifest), `chunks.jsonl` + `chunk_offsets.npy` + `columns.json` + `*_codes.npy` +
`topic_matrix.npy` (`knowledge.chunk_table`), `spelling.json` (`knowledge.lexicon.SpellingVocabulary`),
`bm25/` (bm25s), `sentence_vectors.npy` + `sentence_rows.npy` + `sentence_offsets.npy` (optional).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from knowledge.chunk_table import ChunkTable, load_array
from knowledge.chunking import Chunk
from knowledge.lexical import LexicalIndex
from knowledge.lexicon import SpellingVocabulary
from knowledge.sentences import SPLITTER_VERSION, PassageSentences, prose_sentences, unique_texts
from knowledge.text import words

FORMAT = 1
MANIFEST = "state.json"
KEEP_REVISIONS = 3
"""Older saved states are removed after a save (a worker still reading one keeps its open mapping)."""
_SAFE_REVISION = re.compile(r"^[A-Za-z0-9_-]{1,80}$")

Embed = Callable[[list[str]], NDArray[np.float32]]


def content_revision(chunks: Sequence[Chunk], model: str) -> str:
    """A hash of what the collection holds (ids, text and metadata) and the model that embedded it."""
    digest = hashlib.sha256(f"format={FORMAT}\x1fmodel={model}\x1fsplit={SPLITTER_VERSION}".encode())
    for chunk in sorted(chunks, key=lambda c: c.id):
        fields = (chunk.id, chunk.article_id, chunk.title, chunk.section, chunk.text, chunk.guideline)
        more = (chunk.audience, ",".join(chunk.topics), chunk.source, chunk.corpus_version, chunk.reviewed)
        digest.update("\x1e".join((*fields, *more)).encode())
    return digest.hexdigest()[:32]


class SentenceTable:
    """Unit vectors of every distinct quotable sentence, and which rows belong to each chunk."""

    def __init__(self, vectors: NDArray[np.float32], rows: NDArray[np.int32], offsets: NDArray[np.int64]):
        self.vectors = vectors
        self.rows = rows
        self.offsets = offsets

    @classmethod
    def build(
        cls,
        chunks: Sequence[Chunk],
        embed: Embed,
        dimension: int,
        known: Callable[[str], NDArray[np.float32] | None] = lambda text: None,
    ) -> tuple[SentenceTable, int]:
        """Embed the chunks' sentences (each distinct text once, `known` ones reused); returns (table, embedded)."""
        groups = [prose_sentences(chunk.text) for chunk in chunks]
        texts = unique_texts(groups)
        row = {text: i for i, text in enumerate(texts)}
        vectors = np.zeros((len(texts), dimension), dtype=np.float32)
        missing: list[int] = []
        for i, text in enumerate(texts):
            found = known(text)
            if found is None:
                missing.append(i)
            else:
                vectors[i] = found
        missing.sort(key=lambda i: len(texts[i]))  # similar lengths batch with less padding
        if missing:
            vectors[missing] = embed([texts[i] for i in missing])
        offsets = np.zeros(len(groups) + 1, dtype=np.int64)
        np.cumsum([len(group) for group in groups], out=offsets[1:])
        rows = np.array([row[text] for group in groups for text in group], dtype=np.int32)
        return cls(vectors, rows, offsets), len(missing)

    def of(self, position: int, text: str) -> PassageSentences | None:
        """Sentences of the chunk at `position` (whose text is `text`); None if the split disagrees."""
        sentences = prose_sentences(text)
        rows = self.rows[int(self.offsets[position]) : int(self.offsets[position + 1])]
        if len(rows) != len(sentences):
            return None
        return PassageSentences(tuple(sentences), np.asarray(self.vectors[rows], dtype=np.float32))

    def save(self, folder: Path) -> None:
        """Write the three arrays into `folder`."""
        np.save(folder / "sentence_vectors.npy", self.vectors)
        np.save(folder / "sentence_rows.npy", self.rows)
        np.save(folder / "sentence_offsets.npy", self.offsets)

    @classmethod
    def load(cls, folder: Path) -> SentenceTable:
        """Open saved arrays, memory-mapped."""
        return cls(
            load_array(folder / "sentence_vectors.npy"),
            load_array(folder / "sentence_rows.npy"),
            load_array(folder / "sentence_offsets.npy"),
        )


class RetrievalState:
    """One revision's chunk table, BM25 index, spelling vocabulary and (optionally) sentence vectors."""

    def __init__(
        self,
        revision: str,
        chunks: ChunkTable,
        lexical: LexicalIndex,
        spelling: SpellingVocabulary,
        sentences: SentenceTable | None = None,
    ) -> None:
        self.revision = revision
        self.chunks = chunks
        self.lexical = lexical
        self.spelling = spelling
        self.sentences = sentences

    @classmethod
    def build(
        cls, revision: str, chunks: Sequence[Chunk], sentences: SentenceTable | None = None
    ) -> RetrievalState:
        """Index `chunks` (in the collection's order, which BM25 ties follow)."""
        lexical = LexicalIndex(chunks)
        vocabulary = frozenset(word for chunk in chunks for word in words(chunk.index_text))
        return cls(
            revision, ChunkTable.from_chunks(chunks), lexical, SpellingVocabulary.of(vocabulary), sentences
        )

    @property
    def has_sentences(self) -> bool:
        """Whether ingest stored sentence vectors in this state."""
        return self.sentences is not None

    def passage_sentences(self, chunk_id: str) -> PassageSentences | None:
        """The stored sentences of one chunk, if this state has them."""
        position = self.chunks.positions.get(chunk_id)
        if position is None or self.sentences is None:
            return None
        return self.sentences.of(position, self.chunks.chunk(position).text)

    def save(self, folder: Path) -> None:
        """Write every file into `folder` (which must exist and be empty)."""
        self.chunks.save(folder)
        (folder / "bm25").mkdir()
        self.lexical.save(folder / "bm25")
        (folder / "spelling.json").write_text(json.dumps(self.spelling.to_json()), encoding="utf-8")
        if self.sentences is not None:
            self.sentences.save(folder)
        manifest = {
            "format": FORMAT,
            "revision": self.revision,
            "chunks": len(self.chunks),
            "sentences": self.sentences is not None,
            "splitter": SPLITTER_VERSION,
        }
        (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> RetrievalState | None:
        """A saved state, or None when absent, half-written or of another format."""
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if manifest.get("format") != FORMAT or manifest.get("splitter") != SPLITTER_VERSION:
            return None
        chunks = ChunkTable.load(folder)
        spelling = SpellingVocabulary.from_json(json.loads((folder / "spelling.json").read_text("utf-8")))
        lexical = LexicalIndex.load(folder / "bm25", len(chunks), spelling.words)
        sentences = SentenceTable.load(folder) if manifest.get("sentences") else None
        return cls(str(manifest["revision"]), chunks, lexical, spelling, sentences)


class StateStore:
    """Saved states of one collection under `root/<collection>/<revision>/`; memory only without a root."""

    def __init__(self, root: Path | None, collection: str) -> None:
        self.folder = root / collection if root is not None else None
        self._memory: dict[str, RetrievalState] = {}
        self._lock = threading.Lock()

    def _path(self, revision: str) -> Path | None:
        if self.folder is None or not _SAFE_REVISION.match(revision):
            return None
        return self.folder / revision

    def load(self, revision: str) -> RetrievalState | None:
        """The state saved for `revision`, or None."""
        with self._lock:
            if revision in self._memory:
                return self._memory[revision]
        path = self._path(revision)
        try:
            state = RetrievalState.load(path) if path is not None else None
        except (OSError, ValueError, KeyError):  # pruned or replaced while we read it: build instead
            return None
        if state is not None and state.revision != revision:
            return None
        if state is not None:
            with self._lock:
                self._memory = {revision: state}
        return state

    def save(self, state: RetrievalState) -> None:
        """Keep `state` for this process and write it atomically for every other (renamed into place)."""
        with self._lock:
            self._memory = {state.revision: state}
        path = self._path(state.revision)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.parent / f".{state.revision}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial"
        partial.mkdir()
        try:
            state.save(partial)
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)
            try:
                os.replace(partial, path)
            except OSError:
                if not (path / MANIFEST).exists():  # not another process saving the same revision
                    raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        self._prune(keep=state.revision)

    def _prune(self, keep: str) -> None:
        if self.folder is None:
            return
        saved = sorted(
            (p for p in self.folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in [p for p in saved if p.name != keep][KEEP_REVISIONS - 1 :]:
            shutil.rmtree(old, ignore_errors=True)
