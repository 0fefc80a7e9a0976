"""Published sentence tables stay findable for as long as their own state lives.

Two indexes of the same corpus (the session index and a test's private one) share a revision; the
shorter-lived one must not take the longer-lived one's sentences with it when it is dropped.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

import numpy as np

from knowledge.sentences import PassageSentences, publish, stored_sentences


@dataclass(eq=False)
class _State:
    revision: str
    chunk_id: str
    text: str
    has_sentences: bool = True
    vectors: np.ndarray = field(default_factory=lambda: np.ones((1, 3), dtype=np.float32))

    def passage_sentences(self, chunk_id: str) -> PassageSentences | None:
        return PassageSentences((self.text,), self.vectors) if chunk_id == self.chunk_id else None


def test_a_dropped_state_of_the_same_revision_leaves_the_living_one_published() -> None:
    living = _State("rev-shared", "chunk-a", "The living state's sentence.")
    publish(living)
    short_lived = _State("rev-shared", "chunk-a", "The short-lived state's sentence.")
    publish(short_lived)
    del short_lived
    gc.collect()
    found = stored_sentences("chunk-a")
    assert found is not None and found.texts == ("The living state's sentence.",)


def test_a_state_without_sentences_is_never_published() -> None:
    publish(_State("rev-none", "chunk-none", "Never here.", has_sentences=False))
    assert stored_sentences("chunk-none") is None
