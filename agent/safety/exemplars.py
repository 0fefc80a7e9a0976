"""The policy's example messages as vectors, and the emergency classifier fit on them.

The classifier (logistic regression over MiniLM embeddings: red-flag exemplars against look-alikes,
urgent exemplars and ordinary intent exemplars) is a recall backstop for wordings no phrase names.
The screen only consults it for messages that report a current symptom or red flag, so noise,
history and questions about signs can never reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from agent.safety.policy import Flag, Policy, RefusalKind
from knowledge.vector_cache import TextEmbedder

Vectors = NDArray[np.float32]


@dataclass(frozen=True)
class ExemplarGroups:
    """Exemplar vectors per red flag, per urgent flag, the look-alikes and per refusal kind."""

    red: list[tuple[Flag, Vectors]]
    urgent: list[tuple[Flag, Vectors]]
    look_alikes: Vectors
    refusals: list[tuple[RefusalKind, Vectors]]


class Exemplars:
    """Embeds every exemplar of the policy once per process (one batch, one cache entry)."""

    def __init__(self, policy: Policy, embedder: TextEmbedder, ordinary: Sequence[str] = ()) -> None:
        self.policy = policy
        self.embedder = embedder
        self.ordinary = list(ordinary)

    @cached_property
    def groups(self) -> ExemplarGroups:
        """Every exemplar group, embedded."""
        policy = self.policy
        texts: list[str] = []
        for flag in [*policy.red_flags, *policy.urgent_flags]:
            texts.extend(flag.exemplars)
        texts.extend(policy.look_alikes)
        for rule in policy.refusals.values():
            texts.extend(rule.exemplars)
        vectors = self.embedder.embed(texts)
        offset = 0

        def take(count: int) -> Vectors:
            nonlocal offset
            offset += count
            return vectors[offset - count : offset]

        red = [(f, take(len(f.exemplars))) for f in policy.red_flags]
        urgent = [(f, take(len(f.exemplars))) for f in policy.urgent_flags]
        look_alikes = take(len(policy.look_alikes))
        refusals = [(k, take(len(r.exemplars))) for k, r in policy.refusals.items()]
        return ExemplarGroups(
            red=[(f, v) for f, v in red if len(v)],
            urgent=[(f, v) for f, v in urgent if len(v)],
            look_alikes=look_alikes,
            refusals=[(k, v) for k, v in refusals if len(v)],
        )

    @cached_property
    def classifier(self) -> LogisticRegression:
        """Red-flag exemplars (positive) against look-alikes, urgent and ordinary exemplars."""
        groups = self.groups
        red = np.vstack([vectors for _, vectors in groups.red])
        negatives = [groups.look_alikes, *(vectors for _, vectors in groups.urgent)]
        if self.ordinary:
            negatives.append(self.embedder.embed(self.ordinary))
        features = np.vstack([red, *negatives])
        labels = np.concatenate([np.ones(len(red)), np.zeros(len(features) - len(red))])
        model = LogisticRegression(C=16.0, max_iter=3000, class_weight="balanced")
        model.fit(features, labels)
        return model

    def emergency_probability(self, vectors: Vectors) -> float:
        """The highest probability, over the given vectors, that one reports an emergency now."""
        return float(np.max(self.classifier.predict_proba(vectors)[:, 1]))

    def nearest_red_flag(self, query: Vectors) -> Flag:
        """The red flag whose exemplars are closest (names the emergency)."""
        return max(self.groups.red, key=lambda item: float(np.max(item[1] @ query)))[0]

    def look_alike_similarity(self, query: Vectors) -> float:
        """Similarity to the nearest look-alike (-1 when there are none)."""
        return float(np.max(self.groups.look_alikes @ query)) if len(self.groups.look_alikes) else -1.0
