"""Guidance for this patient: about their own medicine and their own conditions, not a cousin's.

"I forgot my blood thinner last night" retrieves the missed-dose articles of warfarin *and* apixaban,
whose rules differ. When the record says which one the patient takes, quoting the other's rule is
wrong advice for this patient. A passage is about a drug when one of its `topics` is a generic name
from the drug-name table; it is left out when the patient takes another drug that a retrieved passage
is about, unless the patient's own message names it. The record is read only when passages about two
or more different drugs came back.

Conditions work the same way (`for_their_conditions`): the wheezing asthma patient is not quoted the COPD
flare-up plan, and the conditions a kept passage is about are passed on so the composer quotes the
sentence that speaks to them ("Most people with kidney disease should avoid NSAIDs…").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from agent.condition_topics import condition_table
from agent.matching import brand_to_generic, with_generics
from agent.text import normalise
from knowledge.passage import Passage
from tools.views import Condition


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


@dataclass(frozen=True)
class ConditionFit:
    """Passages fitted to the patient's conditions, and which of their conditions the passages are about."""

    passages: tuple[Passage, ...]
    conditions: tuple[str, ...] = ()
    """Keys (`condition_topics.yaml`) of the patient's own conditions that a kept passage is about."""


def for_their_conditions(
    question: str, passages: Sequence[Passage], problems: Callable[[], Iterable[Condition]]
) -> ConditionFit:
    """`passages` without those about a condition the patient does not have, when one is about one they do.

    An asthma patient asking about wheezing is not quoted the COPD flare-up plan; a passage about both
    (inhaler technique) or about no condition (taking medicines safely) always stays, and so does one
    about a condition the message names, or one with no rival of the same group (`group:` in the table:
    heart-failure guidance is not dropped because a diabetes passage came back too). `problems` reads the problem list, only when a passage is about
    a condition at all.
    """
    table = condition_table()
    about = [table.about(p.topics) for p in passages]
    if not any(about):
        return ConditionFit(tuple(passages))
    theirs = table.of_patient(problems())
    kept_about = [keys for keys in about if keys & theirs]
    if not kept_about:
        return ConditionFit(tuple(passages))
    allowed = theirs | table.named_in(question)
    theirs_about = set().union(*kept_about) & theirs
    rivalled = table.groups(theirs_about)

    def stays(keys: set[str]) -> bool:
        return not keys or bool(keys & allowed) or not table.groups(keys) <= rivalled

    kept = tuple(p for p, keys in zip(passages, about, strict=True) if stays(keys))
    return ConditionFit(kept, tuple(sorted(theirs_about)))
