"""Guidance about the patient's own medicine, not its cousin: drop passages about drugs they do not take.

"I forgot my blood thinner last night" retrieves the missed-dose articles of warfarin *and* apixaban,
whose rules differ. When the record says which one the patient takes, quoting the other's rule is
wrong advice for this patient. A passage is about a drug when one of its `topics` is a generic name
from the drug-name table; it is left out when the patient takes another drug that a retrieved passage
is about, unless the patient's own message names it. The record is read only when passages about two
or more different drugs came back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from agent.matching import brand_to_generic, with_generics
from agent.text import normalise
from knowledge.passage import Passage


def generics_of(names: Iterable[str]) -> set[str]:
    """First words of medication names, brands read as generics ("warfarin 5 mg oral tablet" → warfarin)."""
    return {words[0] for name in names if (words := normalise(with_generics(name)).split())}


def for_this_patient(
    question: str, passages: Sequence[Passage], taken_names: Callable[[], Iterable[str]]
) -> tuple[Passage, ...]:
    """`passages` without those about a drug the patient does not take, when one is about a drug they do.

    `taken_names` reads the patient's active medication names (called at most once, only when needed).
    """
    generics = set(brand_to_generic().values())
    about = [{t for t in p.topics if t in generics} for p in passages]
    if len(set().union(*about)) < 2:
        return tuple(passages)
    taken = generics_of(taken_names())
    if not any(drugs & taken for drugs in about):
        return tuple(passages)
    named = set(with_generics(question).split()) & generics
    return tuple(p for p, drugs in zip(passages, about, strict=True) if not drugs or drugs & (taken | named))
