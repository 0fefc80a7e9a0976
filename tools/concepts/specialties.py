"""Clinical specialties (`specialties.yaml`) and the words patients use for them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

SPECIALTIES_PATH = Path(__file__).with_name("specialties.yaml")


class Specialty(BaseModel):
    """A specialty as the schedule names it, and the lay words for it (weakest last)."""

    model_config = ConfigDict(frozen=True)

    name: str
    names: tuple[str, ...]


@lru_cache(maxsize=1)
def specialties() -> tuple[Specialty, ...]:
    """The shipped specialties, in file order (the first that matches a message wins)."""
    raw = yaml.safe_load(SPECIALTIES_PATH.read_text(encoding="utf-8")) or {}
    return tuple(Specialty(name=name, **body) for name, body in (raw.get("specialties") or {}).items())
