"""First query after an ingest, at 1x and 50x the shipped corpus: `python -m knowledge.bench_scale`.

A worker process keeps a retriever warm; another index handle (as another process would) ingests a
change; the worker's next query is timed. That query is where the retriever used to rebuild BM25 from
every chunk under its lock (4.9 s at 50x); now it opens the state ingest saved.

The 50x corpus is synthetic, made in a temporary folder and never shipped: each shipped article is
copied `factor` times under a new id, with a clinic name in its title and first line and the
sentences of each paragraph shuffled (seeded), so BM25 sees 50x the documents and a larger
vocabulary. Encoding 18,000 chunks with MiniLM would take half an hour here, so the copies are
embedded by a stand-in (a normalised random projection of their words, `ProjectionEmbedder`):
latency does not depend on what the vectors say, and queries are still embedded by MiniLM. The 1x
run uses the real corpus and real vectors.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from numpy.typing import NDArray

from knowledge.embedder import Embedder, load_embedder
from knowledge.index import IndexConfig, KnowledgeIndex
from knowledge.ingest import DEFAULT_CORPUS_DIR, ingest
from knowledge.retriever import HybridRetriever
from knowledge.text import tokenize

CHUNK_VECTORS = Path(".carecoord") / "cache" / "chunk-vectors"
CLINICS = tuple(
    f"{place} {kind}"
    for place in (
        "Riverside",
        "Hillcrest",
        "Lakeview",
        "Maple",
        "Northgate",
        "Oakwood",
        "Pinecrest",
        "Southport",
        "Westfield",
        "Brookside",
    )
    for kind in ("Clinic", "Health Center", "Family Practice", "Medical Group", "Care Partners")
)
QUERIES = (
    "I forgot to take my metformin this morning",
    "how do I check my blood pressure at home",
    "what is a good a1c number",
    "when should I go to the ER for chest pain",
    "how long does a refill take",
)
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def _vary(text: str, article_id: str, copy: int, rng: random.Random) -> str:
    """One copy of an article file: new id, a clinic in the title and first line, shuffled sentences."""
    clinic = CLINICS[copy % len(CLINICS)]
    front, _, body = text.partition("\n---\n")
    front = front.replace(f"id: {article_id}", f"id: {article_id}-v{copy}", 1)
    front = re.sub(r"^title: (.*)$", lambda m: f"title: {m.group(1)} ({clinic})", front, count=1, flags=re.M)
    paragraphs = []
    for paragraph in _PARAGRAPH.split(body):
        if paragraph.lstrip().startswith("#") or not paragraph.strip():
            paragraphs.append(paragraph)
            continue
        sentences = _SENTENCE.split(paragraph.strip())
        rng.shuffle(sentences)
        paragraphs.append(" ".join(sentences))
    paragraphs.insert(1, f"This guide is shared by {clinic} (copy {copy}).")
    return f"{front}\n---\n" + "\n\n".join(paragraphs)


def synthetic_corpus(folder: Path, factor: int, seed: int = 16) -> int:
    """Write the shipped corpus plus `factor - 1` varied copies of every article; returns the file count."""
    rng = random.Random(seed)
    files = sorted(DEFAULT_CORPUS_DIR.rglob("*.md"))
    written = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        article_id = re.search(r"^id: (\S+)", text, flags=re.M)
        (folder / path.name).write_text(text, encoding="utf-8")
        written += 1
        if article_id is None:
            continue
        for copy in range(1, factor):
            (folder / f"{path.stem}-v{copy}.md").write_text(
                _vary(text, article_id.group(1), copy, rng), encoding="utf-8"
            )
            written += 1
    return written


class ProjectionEmbedder:
    """A stand-in encoder for synthetic copies: each word a fixed random direction, a text their sum."""

    def __init__(self, real: Embedder, cache: Path) -> None:
        self.real = real
        self.batch_size = real.batch_size
        self.dimension = real.dimension
        self.name = real.name
        self._cache = cache
        self._words: dict[str, NDArray[np.float32]] = {}

    def _word(self, word: str) -> NDArray[np.float32]:
        if word not in self._words:
            seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
            self._words[word] = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
        return self._words[word]

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors, one per text."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in tokenize(text) or ["empty"]:
                out[row] += self._word(word)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (out / np.where(norms == 0, 1, norms)).astype(np.float32)
        return unit

    def embed_one(self, text: str) -> NDArray[np.float32]:
        """One unit vector."""
        vector: NDArray[np.float32] = self.embed([text])[0]
        return vector

    def piece_count(self, word: str) -> int:
        """Word pieces, from the real tokenizer."""
        return self.real.piece_count(word)


def first_query_after_ingest(factor: int, repeats: int = 3) -> dict[str, float]:
    """Ingest a `factor`x corpus, warm a retriever, then time its first query after each of `repeats` ingests."""
    real = load_embedder()
    real.embed(["warm up"])
    with tempfile.TemporaryDirectory(prefix="carecoord-scale-") as tmp:
        root = Path(tmp)
        corpus = root / "corpus"
        corpus.mkdir()
        files = synthetic_corpus(corpus, factor)
        config = IndexConfig(path=root / "data" / "chroma")
        writer_embedder = real if factor == 1 else ProjectionEmbedder(real, CHUNK_VECTORS)
        writer = KnowledgeIndex.open(config, writer_embedder)  # type: ignore[arg-type]
        started = time.perf_counter()
        report = ingest([corpus], writer, vector_cache=CHUNK_VECTORS if factor == 1 else None)
        ingest_s = time.perf_counter() - started
        worker = HybridRetriever(KnowledgeIndex.open(config, real), real)
        worker.search("warm up the worker")
        firsts: list[float] = []
        warm: list[float] = []
        extra = root / "extra"
        extra.mkdir()
        for n in range(repeats):
            source = next(DEFAULT_CORPUS_DIR.rglob("flu-vaccine.md")).read_text(encoding="utf-8")
            (extra / "flu-vaccine-update.md").write_text(
                source.replace("id: flu-vaccine", "id: flu-vaccine-update", 1) + f"\n\nUpdate {n}.\n",
                encoding="utf-8",
            )
            ingest([extra], writer, vector_cache=CHUNK_VECTORS)
            started = time.perf_counter()
            worker.search(QUERIES[n % len(QUERIES)])
            firsts.append((time.perf_counter() - started) * 1000)
            for query in QUERIES:
                started = time.perf_counter()
                worker.search(query)
                warm.append((time.perf_counter() - started) * 1000)
    return {
        "factor": factor,
        "files": files,
        "chunks": report.chunks_total,
        "ingest_s": round(ingest_s, 1),
        "first_query_ms_median": round(statistics.median(firsts), 1),
        "first_query_ms_max": round(max(firsts), 1),
        "warm_query_ms_median": round(statistics.median(warm), 1),
    }


def main(
    factors: Annotated[str, typer.Option(help="Comma-separated corpus multiples.")] = "1,50",
    repeats: Annotated[
        int, typer.Option(help="Ingests (each followed by a timed first query) per size.")
    ] = 3,
) -> None:
    """Print one JSON line per corpus size."""
    for factor in (int(f) for f in factors.split(",")):
        typer.echo(json.dumps(first_query_after_ingest(factor, repeats)))


if __name__ == "__main__":
    typer.run(main)
