"""Which of the codings a patient's record actually contains denote the concept a patient asked about.

Records code labs three ways: standard LOINC, local codes with text only (`K`, `GLU`), and free text. The
concept table is the bridge. Each coding is assigned to the one concept it denotes best, so "Creatinine"
never also answers for "Albumin/Creatinine ratio", and only then compared with the asked concept:

1. a LOINC coding whose code the table knows denotes that concept, nothing else;
2. otherwise the local code, display and `code.text` are compared with every concept's names,
   case- and punctuation-insensitively. A longer matching name is stronger evidence than a shorter one;
   words of 5+ letters tolerate a typo (word by word: "Vitamin K" is not "vitamin D"); 1-3 letter abbreviations must be the whole text or its first word
   ("K", "Na serum"), never a guess; a concept's `exclude` words ("urine") rule it out by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol

from tools.concepts.names import close, key
from tools.concepts.observations import LOINC_SYSTEM, ObservationConcept, ObservationTable, observation_table

MatchKind = Literal["loinc", "code", "name", "typo"]


@dataclass(frozen=True)
class RecordCoding:
    """One way an Observation in the record is coded: a `Coding` plus its CodeableConcept's `text`."""

    system: str | None = None
    code: str | None = None
    display: str | None = None
    text: str | None = None

    @classmethod
    def from_codeable_concept(cls, concept: Mapping[str, Any]) -> list[RecordCoding]:
        """The codings of a FHIR CodeableConcept (JSON), each carrying its `text`; text alone if uncoded."""
        text = concept.get("text") if isinstance(concept.get("text"), str) else None
        codings = [c for c in concept.get("coding") or [] if isinstance(c, Mapping)]
        found = [
            cls(
                system=_str(c.get("system")),
                code=_str(c.get("code")),
                display=_str(c.get("display")),
                text=text,
            )
            for c in codings
        ]
        return found or ([cls(text=text)] if text else [])

    @property
    def is_loinc(self) -> bool:
        """Whether the coding's system is LOINC."""
        return self.system is not None and self.system.rstrip("/").lower() == LOINC_SYSTEM


@dataclass(frozen=True)
class ConceptMatch:
    """The concept a record coding denotes, how it was recognised, and how strongly."""

    concept: ObservationConcept
    how: MatchKind
    score: float


class HasConceptId(Protocol):
    """Anything naming an observation concept by id, e.g. a language `Mention`."""

    @property
    def concept_id(self) -> str:
        """Id of a concept in the observation table."""
        ...


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _name_score(text: str, name: str, whole_field: bool) -> tuple[float, MatchKind] | None:
    """How strongly `text` (a key) contains the concept name `name` (a key), or None."""
    if not text or not name:
        return None
    if text == name:
        return 1000.0 + len(name), "code" if whole_field else "name"
    words, target = text.split(), name.split()
    if len(name) <= 3:
        return (float(len(name)), "name") if words[0] == name else None
    best: tuple[float, MatchKind] | None = None
    n = len(target)
    for start in range(len(words) - n + 1):
        window = " ".join(words[start : start + n])
        if window == name:
            return float(len(name)), "name"
        if best is None and all(close(w, t) for w, t in zip(words[start : start + n], target, strict=True)):
            best = (len(name) - 0.5, "typo")
    return best


def concept_of(coding: RecordCoding, table: ObservationTable | None = None) -> list[ConceptMatch]:
    """The concept(s) a coding denotes best (several only on an exact tie), or [] when none."""
    table = table or observation_table()
    if coding.is_loinc and coding.code and (known := table.by_loinc(coding.code)):
        return [ConceptMatch(known, "loinc", float("inf"))]
    code = key(coding.code or "") if not coding.is_loinc else ""
    texts = [key(t) for t in (coding.display, coding.text) if t]
    best: list[ConceptMatch] = []
    for concept in table.concepts.values():
        excluded = set(map(key, concept.exclude))
        scores = []
        for name in map(key, concept.record_names):
            if code and (s := _name_score(code, name, whole_field=True)):
                scores.append(s)
            for text in texts:
                if excluded & set(text.split()):
                    continue
                if s := _name_score(text, name, whole_field=False):
                    scores.append(s)
        if not scores:
            continue
        score, how = max(scores)
        if not best or score > best[0].score:
            best = [ConceptMatch(concept, how, score)]
        elif score == best[0].score:
            best.append(ConceptMatch(concept, how, score))
    return best


@lru_cache(maxsize=8192)
def _shipped_concept_of(coding: RecordCoding) -> tuple[ConceptMatch, ...]:
    """`concept_of` against the shipped table, memoised: a record repeats a few codings thousands of times."""
    return tuple(concept_of(coding))


def resolve_codings(
    concept: str | ObservationConcept | HasConceptId,
    present: Iterable[RecordCoding],
    table: ObservationTable | None = None,
) -> list[RecordCoding]:
    """The codings among `present` that denote `concept` (or, for a panel, one of its components).

    `concept` is a concept id, a table concept, or a mention carrying `concept_id`. The result keeps the
    order of `present` and has no duplicates; search the record with exactly these codes and texts.
    """
    classify = _shipped_concept_of if table is None else (lambda c: tuple(concept_of(c, table)))
    table = table or observation_table()
    if isinstance(concept, str):
        concept_id = concept
    elif isinstance(concept, ObservationConcept):
        concept_id = concept.id
    else:
        concept_id = concept.concept_id
    wanted = {c.id for c in table.family(concept_id)}
    found: list[RecordCoding] = []
    for coding in dict.fromkeys(present):
        if any(match.concept.id in wanted for match in classify(coding)):
            found.append(coding)
    return found
