"""The lab and vital-sign concept table (`observations.yaml`), typed, with unit conversion and lookup."""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from tools.concepts.names import close, key

OBSERVATIONS_PATH = Path(__file__).with_name("observations.yaml")
LOINC_SYSTEM = "http://loinc.org"

Group = Literal[
    "diabetes",
    "heart",
    "kidney",
    "anticoagulation",
    "lipids",
    "thyroid",
    "vitals",
    "blood count",
    "liver",
    "mental health",
    "vitamins",
]


class UnknownConceptError(KeyError):
    """A concept id that the observation table does not define."""


class Conversion(BaseModel):
    """`value_in_canonical_unit = value_in_from_unit * factor + offset`."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    from_unit: str = Field(alias="from")
    factor: float
    offset: float = 0.0


class ReferenceRange(BaseModel):
    """A standard range in the concept's canonical unit; either bound may be open."""

    model_config = ConfigDict(frozen=True)

    low: float | None = None
    high: float | None = None

    def contains(self, value: float) -> bool:
        """Whether `value` lies within the range (bounds inclusive)."""
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


class ObservationConcept(BaseModel):
    """One lab or vital: its codes, the names people and records use for it, its unit and range."""

    model_config = ConfigDict(frozen=True)

    id: str
    display: str
    friendly: str
    group: Group
    loinc: tuple[str, ...]
    names: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    cased: tuple[str, ...] = ()
    record_codes: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    unit: str
    conversions: tuple[Conversion, ...] = ()
    range: ReferenceRange | None = None
    better: Literal["higher", "lower"] | None = None
    """Which way is better, where that is unambiguous (eGFR higher, LDL lower): "my best eGFR" is its highest."""
    other: str | None = None
    """The concept "and the other one?" means after an answer about this one: a pair patients name together
    (HDL and LDL, systolic and diastolic). None: no partner, and "the other one" is not guessed."""

    @property
    def spoken(self) -> tuple[str, ...]:
        """Names a patient may write, any case (lay names, abbreviations, the friendly name)."""
        return (*self.names, *self.abbreviations)

    @property
    def record_names(self) -> tuple[str, ...]:
        """Every name a record's local code, display or text may use for this concept."""
        return (
            *self.names,
            *self.abbreviations,
            *self.cased,
            *self.record_codes,
            self.display,
            self.friendly,
        )

    def to_canonical(self, value: float, unit: str | None) -> float | None:
        """`value` in the canonical unit; None when `unit` is neither canonical nor convertible."""
        if unit is None or key(unit) == key(self.unit):
            return value
        for conversion in self.conversions:
            if key(conversion.from_unit) == key(unit):
                return value * conversion.factor + conversion.offset
        return None

    def from_canonical(self, value: float, unit: str) -> float | None:
        """A canonical-unit `value` expressed in `unit` (the inverse of `to_canonical`)."""
        if key(unit) == key(self.unit):
            return value
        for conversion in self.conversions:
            if key(conversion.from_unit) == key(unit):
                return (value - conversion.offset) / conversion.factor
        return None


class ObservationTable(BaseModel):
    """All concepts of `observations.yaml`, with lookups by id, LOINC code and free-text name."""

    model_config = ConfigDict(frozen=True)

    version: int
    concepts: dict[str, ObservationConcept]

    @classmethod
    def load(cls, path: Path = OBSERVATIONS_PATH) -> ObservationTable:
        """Read and validate the table; each concept's id is its key in the file."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        concepts = {cid: {"id": cid, **body} for cid, body in (raw.get("concepts") or {}).items()}
        table = cls.model_validate({"version": raw.get("version", 1), "concepts": concepts})
        named = {c for concept in table.concepts.values() for c in (*concept.components, concept.other) if c}
        unknown = named - set(table.concepts)
        if unknown:
            raise ValueError(f"{path}: components or partners name unknown concepts {sorted(unknown)}")
        return table

    def get(self, concept_id: str) -> ObservationConcept:
        """The concept with this id, or UnknownConceptError."""
        try:
            return self.concepts[concept_id]
        except KeyError:
            raise UnknownConceptError(concept_id) from None

    def family(self, concept_id: str) -> tuple[ObservationConcept, ...]:
        """The concept and, for a panel, its components (what a question about it should find)."""
        concept = self.get(concept_id)
        return (concept, *(self.get(c) for c in concept.components))

    def loinc_codes(self, concept_id: str) -> frozenset[str]:
        """LOINC codes of the concept and its components."""
        return frozenset(code for c in self.family(concept_id) for code in c.loinc)

    @cached_property
    def _by_loinc(self) -> dict[str, ObservationConcept]:
        return {code: c for c in self.concepts.values() for code in c.loinc}

    def by_loinc(self, code: str) -> ObservationConcept | None:
        """The concept a LOINC code belongs to."""
        return self._by_loinc.get(code.strip())

    @cached_property
    def _by_key(self) -> dict[str, ObservationConcept]:
        index: dict[str, ObservationConcept] = {}
        for concept in self.concepts.values():
            for name in (concept.id.replace("_", " "), *concept.record_names):
                index.setdefault(key(name), concept)
        return index

    def find(self, name: str) -> ObservationConcept | None:
        """The concept a free-text name denotes ("K", "kidney function", "potasium"), or None.

        Exact names and abbreviations first; then a typo of a name of 5+ letters, when exactly one concept
        is that close (an abbreviation is never guessed).
        """
        wanted = key(name)
        if not wanted:
            return None
        if wanted in self._by_key:
            return self._by_key[wanted]
        words = wanted.split()
        near = {
            c.id
            for k, c in self._by_key.items()
            if len(k.split()) == len(words)
            and all(close(w, n) for w, n in zip(words, k.split(), strict=True))
        }
        return self.concepts[near.pop()] if len(near) == 1 else None


@lru_cache(maxsize=1)
def observation_table() -> ObservationTable:
    """The shipped concept table, read once per process."""
    return ObservationTable.load()
