"""The Chroma side of the knowledge base: client factory, our embedding function, and the chunk store.

This is the only module that talks to chromadb. The collection always uses our MiniLM embedding
function (never Chroma's default ONNX model) in cosine space, so vectors written by ingestion
and queries embedded here or by LangChain live in the same space. Chunk display text is stored
as the Chroma document; title and heading path are metadata and are re-attached for BM25.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function
from numpy.typing import NDArray

from knowledge.chunking import Chunk
from knowledge.embedder import Embedder, load_embedder
from knowledge.retrieval_state import StateStore

REVISION_KEY = "carecoord_revision"
"""Collection metadata set by every ingest that changed something: a content hash of the chunks, which
names the saved retrieval state (`knowledge.retrieval_state`) every retriever then loads."""
STATE_FOLDER = "retrieval"
"""Beside the embedded store's folder (the data dir): `retrieval/<collection>/<revision>/`, for an embedded
index and a `chroma run` server alike."""


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma adapter over our `Embedder`, so `query_texts` and `add(documents=...)` use MiniLM."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder = embedder or load_embedder()

    def __call__(self, input: Documents) -> Embeddings:
        """Embed documents or queries with the shared MiniLM model."""
        return list(self._embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        """Name Chroma records in the collection configuration."""
        return "carecoord-minilm"

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration (the bundled model needs none)."""
        return {"model": "all-MiniLM-L6-v2"}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        """Rebuild from a stored collection configuration."""
        return MiniLMEmbeddingFunction()

    def default_space(self) -> str:  # type: ignore[override]
        """Cosine: our vectors are normalised and scores read as similarities."""
        return "cosine"


DEFAULT_COLLECTION = "carecoord-knowledge"


@dataclass(frozen=True)
class IndexConfig:
    """Where the index lives: a `chroma run` server, or an embedded store in a folder."""

    path: Path
    """Folder of the embedded store (used when `chroma_url` is unset)."""
    chroma_url: str | None = None
    collection: str = DEFAULT_COLLECTION
    state_path: Path | None = None
    """Where retrieval states are saved; default `retrieval/` beside `path` (see `STATE_FOLDER`)."""

    @property
    def states(self) -> Path:
        """The folder of saved retrieval states (`<states>/<collection>/<revision>/`)."""
        return self.state_path or self.path.parent / STATE_FOLDER


def make_client(config: IndexConfig) -> ClientAPI:
    """An HTTP client when `chroma_url` is set, else an embedded store under `config.path`."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if config.chroma_url:
        url = urlparse(config.chroma_url)
        ssl = url.scheme == "https"
        return chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or (443 if ssl else 8000),
            ssl=ssl,
            settings=chroma_settings,
        )
    config.path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(config.path), settings=chroma_settings)


@dataclass(frozen=True)
class DenseHit:
    """One nearest-neighbour result: chunk id and cosine similarity."""

    chunk_id: str
    similarity: float


class KnowledgeIndex:
    """The chunk collection: diff-friendly reads, batched writes, dense queries."""

    def __init__(
        self, client: ClientAPI, collection_name: str, embedder: Embedder, state_root: Path | None = None
    ) -> None:
        self.client = client
        self.collection_name = collection_name
        self.embedder = embedder
        self.embedding_function = MiniLMEmbeddingFunction(embedder)
        self.states = StateStore(state_root, collection_name)
        """Saved retrieval states by revision (kept in memory only when `state_root` is None)."""
        self._collection = self._open()

    @classmethod
    def open(cls, config: IndexConfig, embedder: Embedder | None = None) -> KnowledgeIndex:
        """Open (or create) the configured collection; its retrieval states live in `config.states`."""
        return cls(
            make_client(config), config.collection, embedder or load_embedder(), state_root=config.states
        )

    @property
    def collection(self) -> Collection:
        """The underlying Chroma collection (for adapters such as the LangChain baseline)."""
        return self._collection

    def _open(self) -> Collection:
        return self.client.get_or_create_collection(
            self.collection_name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={REVISION_KEY: uuid.uuid4().hex},
            embedding_function=self.embedding_function,  # type: ignore[arg-type]
        )

    def reset(self) -> None:
        """Drop every chunk (for `--rebuild`)."""
        names = {collection.name for collection in self.client.list_collections()}
        if self.collection_name in names:
            self.client.delete_collection(self.collection_name)
        self._collection = self._open()

    def count(self) -> int:
        """Number of stored chunks."""
        return int(self._collection.count())

    def revision(self) -> str:
        """Current write revision, read fresh from the server (another process may have ingested)."""
        metadata = self.client.get_collection(self.collection_name).metadata or {}
        return str(metadata.get(REVISION_KEY, ""))

    def set_revision(self, revision: str) -> None:
        """Record what the collection now holds (after its retrieval state was saved)."""
        self._collection.modify(metadata={REVISION_KEY: revision})

    def stored_metadata(self) -> dict[str, dict[str, str]]:
        """Metadata of every stored chunk by id, for diffing against a new ingest."""
        result = self._collection.get(include=["metadatas"])
        metadatas = result["metadatas"] or []
        return {
            chunk_id: {key: str(value) for key, value in (metadata or {}).items()}
            for chunk_id, metadata in zip(result["ids"], metadatas, strict=True)
        }

    def upsert(self, chunks: Sequence[Chunk], embeddings: NDArray[np.float32], batch: int = 500) -> None:
        """Write chunks with precomputed embeddings."""
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            self._collection.upsert(
                ids=[chunk.id for chunk in part],
                embeddings=embeddings[start : start + batch],
                documents=[chunk.text for chunk in part],
                metadatas=[chunk_metadata(chunk) for chunk in part],
            )

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        """Refresh metadata of chunks whose text (and so embedding) did not change."""
        if chunks:
            self._collection.update(
                ids=[chunk.id for chunk in chunks],
                metadatas=[chunk_metadata(chunk) for chunk in chunks],
            )

    def delete(self, ids: Sequence[str], batch: int = 500) -> None:
        """Remove chunks by id."""
        for start in range(0, len(ids), batch):
            self._collection.delete(ids=list(ids[start : start + batch]))

    def all_chunks(self) -> list[Chunk]:
        """Every stored chunk, rebuilt from documents and metadata (the BM25 side indexes these)."""
        result = self._collection.get(include=["documents", "metadatas"])
        documents = result["documents"] or []
        metadatas = result["metadatas"] or []
        return [
            chunk_from_record(chunk_id, document, metadata or {})
            for chunk_id, document, metadata in zip(result["ids"], documents, metadatas, strict=True)
        ]

    def dense_search(
        self, vector: NDArray[np.float32], n: int, where: dict[str, Any] | None = None
    ) -> list[DenseHit]:
        """Nearest chunks to a query vector (cosine similarity, best first); `n` must not exceed the count."""
        if n <= 0:
            return []
        result = self._collection.query(
            query_embeddings=[vector.tolist()],
            n_results=n,
            where=where,
            include=["distances"],
        )
        distances = (result["distances"] or [[]])[0]
        return [
            DenseHit(chunk_id, 1.0 - float(distance))
            for chunk_id, distance in zip(result["ids"][0], distances, strict=True)
        ]


def chunk_metadata(chunk: Chunk) -> dict[str, str]:
    """Chroma metadata of a chunk (scalar values only, so topics are comma-joined)."""
    return {
        "article_id": chunk.article_id,
        "title": chunk.title,
        "section": chunk.section,
        "guideline": chunk.guideline,
        "audience": chunk.audience,
        "topics": ",".join(chunk.topics),
        "source": chunk.source,
        "corpus_version": chunk.corpus_version,
        "reviewed": chunk.reviewed,
    }


def chunk_from_record(chunk_id: str, document: str | None, metadata: Any) -> Chunk:
    """Inverse of `chunk_metadata`: a stored record back into a `Chunk`."""

    def field(key: str) -> str:
        value = metadata.get(key)
        return "" if value is None else str(value)

    return Chunk(
        id=chunk_id,
        article_id=field("article_id"),
        title=field("title"),
        section=field("section"),
        text=document or "",
        guideline=field("guideline"),
        audience=field("audience") or "patient",
        topics=tuple(topic for topic in field("topics").split(",") if topic),
        source=field("source"),
        corpus_version=field("corpus_version"),
        reviewed=field("reviewed"),
    )
