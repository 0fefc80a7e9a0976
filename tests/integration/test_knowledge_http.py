from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from carecoord.settings import Settings
from carecoord.wiring import index_config
from knowledge.embedder import Embedder
from knowledge.index import KnowledgeIndex
from knowledge.ingest import DEFAULT_CORPUS_DIR, ingest
from knowledge.retriever import HybridRetriever
from tests.fixtures.processes import free_port, stop, wait_until_up

pytestmark = pytest.mark.integration

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/v2/heartbeat", process, timeout_s=60)
        yield url
    finally:
        stop(process)
        log.close()


def test_ingest_and_search_through_a_chroma_server(
    tmp_path: Path, chroma_url: str, knowledge_embedder: Embedder
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for article in ("home-blood-pressure-measurement", "missed-dose-metformin", "flu-vaccine"):
        shutil.copy(next(DEFAULT_CORPUS_DIR.rglob(f"{article}.md")), corpus)
    settings = Settings(data_dir=tmp_path / "unused", chroma_url=chroma_url, chroma_collection="http-test")

    report = ingest([corpus], KnowledgeIndex.open(index_config(settings), knowledge_embedder))
    assert report.chunks_added == report.chunks_total > 5 and not report.skipped
    assert not (tmp_path / "unused" / "chroma").exists()  # nothing embedded was created
    # The retrieval state lives under the data dir, keyed by collection and content revision.
    index = KnowledgeIndex.open(index_config(settings), knowledge_embedder)
    assert (tmp_path / "unused" / "retrieval" / "http-test" / index.revision() / "state.json").exists()

    # A second client, as another process would have: it sees the same chunks and vectors.
    retriever = HybridRetriever(KnowledgeIndex.open(index_config(settings), knowledge_embedder))
    result = retriever.search("I forgot to take my metformin this morning")
    assert result.passages[0].article_id == "missed-dose-metformin" and not result.abstain

    (corpus / "flu-vaccine.md").unlink()
    ingest([corpus], KnowledgeIndex.open(index_config(settings), knowledge_embedder))
    after = retriever.search("when should I get my yearly flu shot")
    assert "flu-vaccine" not in {
        passage.article_id for passage in after.passages
    }  # the new revision's state was opened
