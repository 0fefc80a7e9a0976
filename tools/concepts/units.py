"""Units of measure (`units.yaml`): the UCUM code behind each way a unit is written."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from tools.concepts.names import key

UNITS_PATH = Path(__file__).with_name("units.yaml")


class Unit(BaseModel):
    """A unit: its UCUM code, how it is shown, and how people write it."""

    model_config = ConfigDict(frozen=True)

    code: str
    display: str
    aliases: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def units() -> dict[str, Unit]:
    """The shipped units by UCUM code, read once."""
    raw = yaml.safe_load(UNITS_PATH.read_text(encoding="utf-8")) or {}
    return {code: Unit(code=code, **body) for code, body in (raw.get("units") or {}).items()}


def unit_for(written: str) -> Unit | None:
    """The unit a written form denotes ("mg/dl", "pounds", "°F"), or None."""
    wanted = key(written)
    for unit in units().values():
        if wanted == key(unit.code) or any(wanted == key(alias) for alias in unit.aliases):
            return unit
    return None
