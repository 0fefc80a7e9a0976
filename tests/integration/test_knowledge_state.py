"""The retrieval state is built at ingest, saved by content revision, and opened (never rebuilt) by retrievers."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from knowledge import retrieval_state
from knowledge.embedder import Embedder
from knowledge.index import IndexConfig, KnowledgeIndex
from knowledge.ingest import DEFAULT_CORPUS_DIR, ingest
from knowledge.retriever import HybridRetriever
from knowledge.sentences import prose_sentences, stored_sentences

pytestmark = pytest.mark.integration

ARTICLES = ["fever-in-adults", "missed-dose-metformin", "home-blood-pressure-measurement"]
QUERIES = ["I forgot my metformin this morning", "how high a fever is too high", "what cuff size for my arm"]


def _corpus(root: Path, articles: list[str]) -> Path:
    corpus = root / "corpus"
    corpus.mkdir(exist_ok=True)
    for article in articles:
        source = next(DEFAULT_CORPUS_DIR.rglob(f"{article}.md"))
        shutil.copy(source, corpus / source.name)
    return corpus


def _ranking(retriever: HybridRetriever, query: str) -> list[tuple[str, float]]:
    return [(p.id, round(p.score, 9)) for p in retriever.search(query).passages]


def test_a_worker_opens_the_saved_state_and_ranks_as_a_fresh_build(
    tmp_path: Path, knowledge_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = IndexConfig(path=tmp_path / "data" / "chroma")
    writer = KnowledgeIndex.open(config, knowledge_embedder)
    report = ingest([_corpus(tmp_path, ARTICLES)], writer)
    revision = writer.revision()
    assert report.sentences_embedded > 20
    assert (tmp_path / "data" / "retrieval" / config.collection / revision / "bm25").is_dir()

    # Reference: a retriever that builds the state in memory from the collection, as before.
    in_memory = HybridRetriever(KnowledgeIndex(writer.client, writer.collection_name, knowledge_embedder))
    expected = {query: _ranking(in_memory, query) for query in QUERIES}

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("a saved state must be opened, not rebuilt")

    monkeypatch.setattr(retrieval_state.RetrievalState, "build", no_rebuild)
    worker = HybridRetriever(KnowledgeIndex.open(config, knowledge_embedder))  # another process
    assert {query: _ranking(worker, query) for query in QUERIES} == expected
    assert worker._current().revision == revision


def test_revision_is_a_content_hash_and_a_change_is_picked_up(
    tmp_path: Path, knowledge_embedder: Embedder
) -> None:
    config = IndexConfig(path=tmp_path / "data" / "chroma")
    index = KnowledgeIndex.open(config, knowledge_embedder)
    corpus = _corpus(tmp_path, ARTICLES[:2])
    ingest([corpus], index)
    first = index.revision()
    worker = HybridRetriever(KnowledgeIndex.open(config, knowledge_embedder))
    assert "home-blood-pressure-measurement" not in {p.article_id for p in worker.search(QUERIES[2]).passages}

    again = ingest([corpus], index)
    assert index.revision() == first and again.sentences_embedded == 0  # nothing changed, nothing redone

    _corpus(tmp_path, ARTICLES)
    added = ingest([corpus], index)
    assert index.revision() != first
    assert 0 < added.sentences_embedded < 60  # only the new article's sentences; the rest were reused
    assert worker.search(QUERIES[2]).passages[0].article_id == "home-blood-pressure-measurement"


def test_passage_sentences_are_embedded_at_ingest(tmp_path: Path, knowledge_embedder: Embedder) -> None:
    config = IndexConfig(path=tmp_path / "data" / "chroma")
    ingest([_corpus(tmp_path, ARTICLES)], KnowledgeIndex.open(config, knowledge_embedder))
    worker = HybridRetriever(KnowledgeIndex.open(config, knowledge_embedder))
    passage = worker.search(QUERIES[0]).passages[0]
    stored = stored_sentences(passage.id)
    assert stored is not None and list(stored.texts) == prose_sentences(passage.text)
    fresh = knowledge_embedder.embed(list(stored.texts))
    assert np.allclose(stored.vectors, fresh, atol=1e-5)
    assert stored_sentences("no-such-chunk") is None


def test_an_index_without_a_saved_state_is_built_once_while_others_answer(
    tmp_path: Path, knowledge_embedder: Embedder
) -> None:
    config = IndexConfig(path=tmp_path / "data" / "chroma")
    index = KnowledgeIndex.open(config, knowledge_embedder)
    ingest([_corpus(tmp_path, ARTICLES)], index)
    worker = HybridRetriever(KnowledgeIndex.open(config, knowledge_embedder))
    before = worker.search(QUERIES[1]).passages
    # As if an older version had written the collection: a revision nobody saved a state for.
    index.set_revision("legacy0123456789")
    shutil.rmtree(config.states)
    worker.index.states._memory.clear()

    worker._building.acquire()  # another thread is building: this one answers from the previous state
    try:
        assert worker.search(QUERIES[1]).passages == before
    finally:
        worker._building.release()
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(worker.search(QUERIES[1]).passages)) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [before] * 3
    assert (config.states / config.collection / "legacy0123456789" / "state.json").exists()


class CountingEmbedder:
    """Our embedder, counting the texts it is asked to embed in batches."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.batched = 0

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.batched += len(texts)
        return self.inner.embed(texts)

    def embed_one(self, text: str) -> NDArray[np.float32]:
        return self.inner.embed_one(text)


def test_the_offline_composer_quotes_from_stored_vectors_and_picks_the_same_sentences(
    knowledge_retriever: HybridRetriever, knowledge_embedder: Embedder
) -> None:
    from agent.reasoners.offline import OfflineReasoner

    embedder = CountingEmbedder(knowledge_embedder)
    reasoner = OfflineReasoner(classifier=None, embedder=embedder)  # type: ignore[arg-type]
    questions = [
        "I missed my metformin dose this morning, what should I do?",
        "How do I check my blood pressure at home?",
        "What should I do for a fever?",
        "what is a good a1c number",
        "can I take ibuprofen with my blood thinner",
        "how long does a refill take",
    ]
    for question in questions:
        passages = tuple(knowledge_retriever.search(question).passages)
        stored = reasoner._extract(question, passages)
        assert embedder.batched == 0, "passage sentences must come from the ingest-time table"
        unseen = tuple(replace(p, id=f"unseen-{p.id}") for p in passages)  # forces answer-time embedding
        assert reasoner._extract(question, unseen) == [
            (replace(p, id=f"unseen-{p.id}"), s) for p, s in stored
        ]
        assert stored and embedder.batched > 0
        embedder.batched = 0
