"""The long-term conditions that guidance can be fitted to (`condition_topics.yaml`).

How a problem-list entry is recognised as one, and which knowledge topics are about it: a reviewable
table, not code.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from agent.text import contains_phrase, normalise
from tools.views import Condition

CONDITION_TOPICS_PATH = Path(__file__).with_name("condition_topics.yaml")


class ConditionConcept(BaseModel):
    """One condition: ICD-10 prefixes and name phrases that recognise it, and its knowledge topics."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group: str
    """Conditions whose guidance can be mistaken for each other's share a group (asthma and COPD)."""
    icd10: tuple[str, ...] = ()
    phrases: tuple[str, ...]
    topics: tuple[str, ...]


class ConditionTable(BaseModel):
    """Every condition of the table, by key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    conditions: dict[str, ConditionConcept]

    def recognise(self, condition: Condition) -> set[str]:
        """Keys of the conditions a problem-list entry is (by ICD-10 prefix, else by its name)."""
        code = (condition.icd10 or "").upper()
        name = normalise(condition.name)
        return {
            key
            for key, concept in self.conditions.items()
            if (code and any(code.startswith(prefix) for prefix in concept.icd10))
            or any(contains_phrase(name, phrase) for phrase in concept.phrases)
        }

    def of_patient(self, problems: Iterable[Condition]) -> set[str]:
        """Keys of every condition on a problem list."""
        return {key for problem in problems for key in self.recognise(problem)}

    def about(self, topics: Iterable[str]) -> set[str]:
        """Keys of the conditions an article with these `topics:` tags is about."""
        tags = set(topics)
        return {key for key, concept in self.conditions.items() if tags.intersection(concept.topics)}

    def groups(self, keys: Iterable[str]) -> set[str]:
        """The groups of these conditions."""
        return {self.conditions[key].group for key in keys}

    def named_in(self, text: str) -> set[str]:
        """Keys of the conditions a message names ("is this a COPD flare?")."""
        said = normalise(text)
        return {
            key
            for key, concept in self.conditions.items()
            if any(contains_phrase(said, phrase) for phrase in concept.phrases)
        }

    def speaks_to(self, sentence: str, keys: Iterable[str]) -> bool:
        """Whether a guidance sentence names one of these conditions ("people with kidney disease")."""
        said = normalise(sentence)
        return any(contains_phrase(said, phrase) for key in keys for phrase in self.conditions[key].phrases)


@lru_cache(maxsize=1)
def condition_table(path: Path = CONDITION_TOPICS_PATH) -> ConditionTable:
    """The shipped table (read once per process)."""
    return ConditionTable.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
