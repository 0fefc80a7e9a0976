"""The board's data tables (`groups.yaml`, `therapy_classes.yaml`), typed and checked against the concepts."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from tools.concepts.observations import ObservationConcept, observation_table

HERE = Path(__file__).parent


class ChartGroup(BaseModel):
    """A titled set of concepts charted together (e.g. Kidney: eGFR, creatinine, potassium)."""

    model_config = ConfigDict(frozen=True)

    title: str
    concepts: tuple[str, ...]

    def members(self) -> tuple[ObservationConcept, ...]:
        """The group's concepts from the observation table."""
        table = observation_table()
        return tuple(table.get(c) for c in self.concepts)


class BoardGroups(BaseModel):
    """Every chart group, in board order."""

    model_config = ConfigDict(frozen=True)

    version: int
    groups: tuple[ChartGroup, ...]

    def loinc_codes(self) -> frozenset[str]:
        """Every LOINC code the board charts (panels with their components)."""
        table = observation_table()
        return frozenset(code for g in self.groups for c in g.concepts for code in table.loinc_codes(c))


class TherapyClasses(BaseModel):
    """Therapeutic classes by name, each a tuple of ingredient names; `pairs` of classes that duplicate."""

    model_config = ConfigDict(frozen=True)

    version: int
    classes: dict[str, tuple[str, ...]]
    pairs: tuple[tuple[str, str], ...] = ()


@lru_cache(maxsize=1)
def board_groups(path: Path = HERE / "groups.yaml") -> BoardGroups:
    """The shipped chart groups; a concept id missing from the observation table is an error."""
    groups = BoardGroups.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    for group in groups.groups:
        group.members()  # raises UnknownConceptError on a typo
    return groups


@lru_cache(maxsize=1)
def therapy_classes(path: Path = HERE / "therapy_classes.yaml") -> TherapyClasses:
    """The shipped therapeutic classes; a pair naming an unknown class is an error."""
    classes = TherapyClasses.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    unknown = {name for pair in classes.pairs for name in pair} - set(classes.classes)
    if unknown:
        raise ValueError(f"{path}: pairs name unknown classes {sorted(unknown)}")
    return classes
