from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from carecoord.settings import Settings
from carecoord.wiring import index_config
from knowledge.embedder import Embedder
from knowledge.index import KnowledgeIndex
from knowledge.ingest import DEFAULT_CORPUS_DIR, ingest

pytestmark = pytest.mark.integration

ARTICLES = ["fever-in-adults", "missed-dose-metformin", "home-blood-pressure-measurement"]


def _small_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    for article in ARTICLES:
        source = next(DEFAULT_CORPUS_DIR.rglob(f"{article}.md"))
        shutil.copy(source, corpus / source.name)
    return corpus


def _ids_by_article(index: KnowledgeIndex) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for chunk_id, metadata in index.stored_metadata().items():
        result.setdefault(metadata["article_id"], set()).add(chunk_id)
    return result


def test_reingest_upserts_changes_and_deletes_stale_chunks(
    tmp_path: Path, knowledge_embedder: Embedder
) -> None:
    corpus = _small_corpus(tmp_path)
    settings = Settings(data_dir=tmp_path / "data")
    index = KnowledgeIndex.open(index_config(settings), knowledge_embedder)

    first = ingest([corpus], index)
    assert first.files == 3 and first.chunks_added == first.chunks_total > 10 and not first.skipped
    before = _ids_by_article(index)

    again = ingest([corpus], index)
    assert (again.chunks_added, again.chunks_updated, again.chunks_deleted) == (0, 0, 0)
    assert again.chunks_unchanged == first.chunks_total

    fever = corpus / "fever-in-adults.md"
    text = fever.read_text(encoding="utf-8")
    edited = text.replace(
        "Call 911 for a fever with a stiff neck and a severe headache.", "Call 911 for a stiff neck."
    )
    fever.write_text(edited.replace('guideline: "CDC', 'guideline: "Revised CDC'), encoding="utf-8")
    (corpus / "missed-dose-metformin.md").unlink()

    changed = ingest([corpus], index)
    after = _ids_by_article(index)
    assert "missed-dose-metformin" not in after
    assert after["home-blood-pressure-measurement"] == before["home-blood-pressure-measurement"]
    replaced = before["fever-in-adults"] - after["fever-in-adults"]
    assert len(replaced) == 1 and changed.chunks_added == 1
    assert changed.chunks_deleted == len(before["missed-dose-metformin"]) + 1
    assert changed.chunks_updated == len(after["fever-in-adults"]) - 1  # guideline moved, text did not
    stored = index.stored_metadata()
    assert {stored[i]["guideline"] for i in after["fever-in-adults"]} == {
        "Revised CDC guidance on fever and respiratory illness"
    }
    assert changed.chunks_total == sum(len(ids) for ids in after.values())


def test_rebuild_starts_from_an_empty_collection(tmp_path: Path, knowledge_embedder: Embedder) -> None:
    corpus = _small_corpus(tmp_path)
    settings = Settings(data_dir=tmp_path / "data")
    index = KnowledgeIndex.open(index_config(settings), knowledge_embedder)
    first = ingest([corpus], index)
    rebuilt = ingest([corpus / "fever-in-adults.md"], index, rebuild=True)
    assert rebuilt.chunks_added == rebuilt.chunks_total < first.chunks_total
    assert set(_ids_by_article(index)) == {"fever-in-adults"}


def test_cli_ingest_counts_skipped_files_in_its_exit_code(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(next(DEFAULT_CORPUS_DIR.rglob("fever-in-adults.md")), corpus)
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "binary.md").write_bytes(b"\x00\x01\x02\x03 not text")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    env = {**os.environ, "CARECOORD_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    env.pop("CARECOORD_CHROMA_URL", None)
    command = [sys.executable, "-m", "carecoord", "knowledge", "ingest", str(corpus)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 3, done.stderr
    assert "Skipped 3 file(s)" in done.stdout
    for name, reason in (
        ("empty.md", "empty file"),
        ("binary.md", "binary file"),
        ("broken.pdf", "broken PDF"),
    ):
        assert any(name in line and reason in line for line in done.stdout.splitlines()), done.stdout
    assert "Ingested 4 files" in done.stdout
