"""The sentences the agent may say without a citation, read from the files that define them.

`uncited sentences` and `abstained` are computed from the answer, not from flags the agent sets on
its own sentences: a composer that marks an invented sentence "procedural" must still be caught. So
the exemptions are exactly the fixed texts of `agent/prompts/responses.yaml` (procedural, state no
medical fact), and the emergency instructions and protocol texts of `agent/policy.yaml` (fixed safety
texts reviewed by the clinical lead, each naming its guideline: the 15-15 rule, Poison Control).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CANNOT_ANSWER_KEYS = (
    "abstain",
    "verifier_escalated",
    "low_confidence",
    "out_of_scope",
    "refusal_other_patient",
    "refusal_prompt_injection",
    "refusal_dose_change",
)
"""Responses that say the assistant will not answer the question itself."""
ABSENT_KEYS = ("no_results", "search_incomplete", "no_earlier", "not_recognised")
"""Responses that say a result is not (or cannot be said to be) in the record."""


def normalise(text: str) -> str:
    """Whitespace-collapsed, case-folded, citation markers removed."""
    return re.sub(r"\s+", " ", re.sub(r"\s*\[\d+\]", "", text)).strip().casefold()


@dataclass(frozen=True)
class FixedTexts:
    """Procedural and safety texts (exempt from citation) and the subset that declines to answer."""

    exempt: frozenset[str]
    cannot_answer: tuple[str, ...]
    absent: tuple[str, ...] = ()

    @classmethod
    def load(cls) -> FixedTexts:
        """From the agent's responses and policy files, as the running agent reads them."""
        from agent.policy import Policy
        from agent.responses import responses

        said = responses().model_dump()
        templates = {k for k, v in said.items() if "{" in v}
        exempt = {normalise(v) for k, v in said.items() if k not in templates}
        policy = Policy.load()
        exempt |= {normalise(v) for v in policy.emergency_instructions.values()}
        exempt |= {normalise(p.text) for p in policy.protocols.values()}
        return cls(
            exempt=frozenset(exempt),
            cannot_answer=tuple(normalise(said[k]) for k in CANNOT_ANSWER_KEYS),
            absent=tuple(normalise(said[k]) for k in ABSENT_KEYS),
        )

    def is_exempt(self, sentence: str) -> bool:
        """Whether a sentence is one of the fixed texts (or several of them run together)."""
        rest = normalise(sentence)
        if rest in self.exempt:
            return True
        for text in sorted(self.exempt, key=len, reverse=True):
            rest = rest.replace(text, " ")
        return not rest.strip()

    def says_absent(self, answer: str) -> bool:
        """Whether the answer says a result is not in the record (or was not found, or not recognised)."""
        text = normalise(answer)
        return any(phrase in text for phrase in self.absent)

    def declines(self, answer: str) -> bool:
        """Whether the answer says it cannot or will not answer."""
        text = normalise(answer)
        return any(phrase in text for phrase in self.cannot_answer)
