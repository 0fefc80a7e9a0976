"""Medicine groups patients name instead of a medicine (`medication_classes.yaml`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

MEDICATION_CLASSES_PATH = Path(__file__).with_name("medication_classes.yaml")


class MedicationClass(BaseModel):
    """One group: the phrases that name it and the generic names it holds."""

    model_config = ConfigDict(frozen=True)

    id: str
    names: tuple[str, ...]
    generics: frozenset[str]


@lru_cache(maxsize=1)
def medication_classes() -> tuple[MedicationClass, ...]:
    """The shipped groups, in file order."""
    raw = yaml.safe_load(MEDICATION_CLASSES_PATH.read_text(encoding="utf-8")) or {}
    return tuple(MedicationClass(id=key, **body) for key, body in (raw.get("classes") or {}).items())
