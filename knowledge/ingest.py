"""Load, chunk, embed and store sources; re-ingesting only touches what changed.

Chunk ids are content hashes, so a diff against what is stored tells what to do: new ids are
embedded and added, known ids whose metadata moved (guideline, topics, file version) are updated
without re-embedding, and ids of a re-ingested article (or of a file gone from an ingested
folder) that the new run no longer produces are deleted. A file that cannot be read keeps its
old chunks: a transient read problem should not silently empty the knowledge base.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from knowledge.chunk_vectors import ChunkVectorCache
from knowledge.chunking import Chunk, ChunkSizes, chunk_document
from knowledge.embedder import Embedder
from knowledge.index import KnowledgeIndex, chunk_metadata
from knowledge.loaders import Document, Skipped, discover, load_document
from knowledge.retrieval_state import RetrievalState, SentenceTable, content_revision

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
"""The vetted articles shipped with the package."""

Progress = Callable[[str, int, int], None]
"""`progress(stage, done, total)`; stages are "reading", "embedding", then "sentences"."""


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did."""

    files: int
    chunks_added: int
    chunks_updated: int
    chunks_deleted: int
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    chunks_total: int = 0
    """Chunks stored after the run."""
    chunks_unchanged: int = 0
    sentences_embedded: int = 0
    """Quotable sentences embedded for the retrieval state (the rest were reused)."""


def ingest(
    paths: Sequence[Path] | None,
    index: KnowledgeIndex,
    rebuild: bool = False,
    progress: Progress | None = None,
    sizes: ChunkSizes | None = None,
    vector_cache: Path | None = None,
) -> IngestReport:
    """Ingest files and folders (default: the shipped corpus) into `index`.

    `vector_cache` is an optional folder of chunk embeddings reused across builds (see
    `knowledge.chunk_vectors`); without it every new chunk is encoded.
    """
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    roots = [path.resolve() for path in (paths or [DEFAULT_CORPUS_DIR])]
    files = list(discover(roots))
    documents, skipped = _load_all(files, report)
    chunks = [chunk for document in documents for chunk in chunk_document(document, sizes)]

    if rebuild:
        index.reset()
    stored = index.stored_metadata()
    fresh = [chunk for chunk in chunks if chunk.id not in stored]
    moved = [chunk for chunk in chunks if chunk.id in stored and stored[chunk.id] != chunk_metadata(chunk)]
    stale = _stale_ids(stored, chunks, documents, roots, {path.resolve().as_posix() for path in files})

    fresh.sort(key=lambda chunk: len(chunk.index_text))  # similar lengths batch with less padding
    batch = index.embedder.batch_size * 2
    report("embedding", 0, len(fresh))
    cache = (
        ChunkVectorCache(vector_cache, index.embedder.name, index.embedder.dimension)
        if vector_cache
        else None
    )
    for start in range(0, len(fresh), batch):
        part = fresh[start : start + batch]
        index.upsert(part, _vectors(index.embedder, [chunk.index_text for chunk in part], cache))
        report("embedding", start + len(part), len(fresh))
    index.update_metadata(moved)
    index.delete(stale)
    sentences = 0
    current = index.states.load(index.revision())
    if fresh or moved or stale or rebuild or current is None or current.sentences is None:
        sentences = _publish_state(index, current, cache, report)
    return IngestReport(
        files=len(files),
        chunks_added=len(fresh),
        chunks_updated=len(moved),
        chunks_deleted=len(stale),
        skipped=skipped,
        seconds=time.perf_counter() - started,
        chunks_total=index.count(),
        chunks_unchanged=len(chunks) - len(fresh) - len(moved),
        sentences_embedded=sentences,
    )


def _publish_state(
    index: KnowledgeIndex, previous: RetrievalState | None, cache: ChunkVectorCache | None, report: Progress
) -> int:
    """Build and save the retrieval state of what the collection now holds, then name it as current.

    The state is saved before the revision moves, so a worker that sees the new revision finds its
    files. Sentence vectors are reused from the previous state and the vector cache where the text
    is unchanged; returns how many sentences had to be embedded.
    """
    chunks = index.all_chunks()
    revision = content_revision(chunks, index.embedder.name)
    known = _previous_sentences(previous)

    def reuse(text: str) -> NDArray[np.float32] | None:
        return known.get(text) if text in known else cache.get(text) if cache is not None else None

    def embed(texts: list[str]) -> NDArray[np.float32]:
        vectors = _embed_batches(index.embedder, texts, lambda done: report("sentences", done, len(texts)))
        if cache is not None:
            cache.put(texts, vectors)
        return vectors

    table, embedded = SentenceTable.build(chunks, embed, index.embedder.dimension, reuse)
    index.states.save(RetrievalState.build(revision, chunks, table))
    index.set_revision(revision)
    return embedded


def _previous_sentences(previous: RetrievalState | None) -> dict[str, NDArray[np.float32]]:
    known: dict[str, NDArray[np.float32]] = {}
    if previous is None or previous.sentences is None:
        return known
    for chunk_id in previous.chunks.ids:
        found = previous.passage_sentences(chunk_id)
        if found is not None:
            known.update(zip(found.texts, found.vectors, strict=True))
    return known


def _embed_batches(
    embedder: Embedder, texts: list[str], progress: Callable[[int], None], batch: int = 256
) -> NDArray[np.float32]:
    parts = []
    for start in range(0, len(texts), batch):
        parts.append(embedder.embed(texts[start : start + batch]))
        progress(start + len(parts[-1]))
    return np.vstack(parts) if parts else np.zeros((0, embedder.dimension), dtype=np.float32)


def _vectors(embedder: Embedder, texts: list[str], cache: ChunkVectorCache | None) -> NDArray[np.float32]:
    if cache is None:
        return embedder.embed(texts)
    found = [cache.get(text) for text in texts]
    missing = [i for i, vector in enumerate(found) if vector is None]
    if missing:
        computed = embedder.embed([texts[i] for i in missing])
        cache.put([texts[i] for i in missing], computed)
        for i, vector in zip(missing, computed, strict=True):
            found[i] = vector
    return np.stack([vector for vector in found if vector is not None])


def _load_all(files: Sequence[Path], report: Progress) -> tuple[list[Document], list[Skipped]]:
    documents: list[Document] = []
    skipped: list[Skipped] = []
    owners: dict[str, Path] = {}
    for done, path in enumerate(files, start=1):
        loaded = load_document(path)
        if isinstance(loaded, Skipped):
            skipped.append(loaded)
        elif loaded.article_id in owners:
            skipped.append(
                Skipped(
                    path, f"duplicate article id '{loaded.article_id}' (also {owners[loaded.article_id]})"
                )
            )
        else:
            owners[loaded.article_id] = path
            documents.append(loaded)
        report("reading", done, len(files))
    return documents, skipped


def _stale_ids(
    stored: dict[str, dict[str, str]],
    chunks: Sequence[Chunk],
    documents: Sequence[Document],
    roots: Sequence[Path],
    seen_files: set[str],
) -> list[str]:
    """Stored ids to delete: old chunks of re-ingested articles, and chunks of files gone from a root."""
    produced = {chunk.id for chunk in chunks}
    articles = {document.article_id for document in documents}
    folders = [root.as_posix().rstrip("/") + "/" for root in roots if root.is_dir()]
    stale: list[str] = []
    for chunk_id, metadata in stored.items():
        if chunk_id in produced:
            continue
        source = metadata.get("source", "")
        gone = source not in seen_files and any(source.startswith(folder) for folder in folders)
        if metadata.get("article_id") in articles or gone:
            stale.append(chunk_id)
    return stale
