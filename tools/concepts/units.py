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


def shown_unit(written: str | None) -> str:
    """A unit as patients read it: the table's display, else the code without UCUM's annotation braces.

    "mL/min/{1.73_m2}" -> "mL/min/1.73 m²", "{INR}" -> "" (a ratio has none), "{cells}/uL" -> "cells/uL":
    an annotation is a label for machines and never reaches an answer, a citation or the console raw.
    Only the UCUM code is looked up, not the patients' spellings: a record's "mL/min" (a creatinine
    clearance) is not an eGFR's unit.
    """
    if not written:
        return ""
    wanted = key(written)
    unit = units().get(written) or next(
        (u for u in units().values() if wanted and key(u.code) == wanted), None
    )
    if unit is not None:
        return unit.display
    return written.replace("{", "").replace("}", "").replace("_", " ")
