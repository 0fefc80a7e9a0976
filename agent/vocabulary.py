"""Known words: everything our corpus, drug lexicon, exemplars and concept tables say.

The language layer's tables (terms, labs and vitals, specialties) count: a word they recognise
("painkillers") names a concept we understand, and the retriever's own threshold decides whether the
library can answer it.

A question that names something none of them mention ("Zorbitrex", a drug that does not exist) cannot be
answered from our sources, however similar the retrieved passages look; fuzzy matching keeps typos
("metfromin") known.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.fuzz import ratio

from agent.text import normalise

AGENT_DIR = Path(__file__).parent
CORPUS_DIR = AGENT_DIR.parent / "knowledge" / "corpus"
SOURCES = (
    AGENT_DIR / "language" / "data" / "terms.yaml",
    AGENT_DIR.parent / "tools" / "concepts" / "observations.yaml",
    AGENT_DIR.parent / "tools" / "concepts" / "specialties.yaml",
    AGENT_DIR / "intents.yaml",
    AGENT_DIR / "policy.yaml",
    AGENT_DIR / "grounding" / "drug_names.yaml",
    AGENT_DIR / "prompts" / "responses.yaml",
)
MIN_LENGTH = 5
"""Short words are too often ordinary English to judge."""
TYPO_SIMILARITY = 80


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Lowercase words of the corpus, the drug lexicon and the exemplar files."""
    texts = [path.read_text(encoding="utf-8") for path in SOURCES if path.exists()]
    texts += [path.read_text(encoding="utf-8") for path in CORPUS_DIR.rglob("*.md")]
    return frozenset(re.findall(r"[a-z][a-z-]+", normalise(" ".join(texts))))


def unknown_terms(message: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Words of `message` that are not, even approximately, anything our sources or `extra` mention."""
    vocabulary = known_words() | {w for name in extra for w in normalise(name).split()}
    unknown = []
    for word in re.findall(r"[a-z][a-z-]+", normalise(message)):
        if len(word) < MIN_LENGTH or word in vocabulary:
            continue
        match = process.extractOne(word, vocabulary, scorer=ratio, score_cutoff=TYPO_SIMILARITY)
        if match is None:
            unknown.append(word)
    return unknown
