"""Vaccines (`vaccines.yaml`): the words patients use for them and how a record codes them (CVX)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

VACCINES_PATH = Path(__file__).with_name("vaccines.yaml")


class Vaccine(BaseModel):
    """One vaccine: its id, a plain name, the CVX codes that record it and the words that name it."""

    model_config = ConfigDict(frozen=True)

    id: str
    display: str
    cvx: tuple[str, ...]
    names: tuple[str, ...]
    record_words: tuple[str, ...]


@lru_cache(maxsize=1)
def vaccines() -> dict[str, Vaccine]:
    """The shipped vaccines by id, in file order."""
    raw = yaml.safe_load(VACCINES_PATH.read_text(encoding="utf-8")) or {}
    return {key: Vaccine(id=key, **body) for key, body in (raw.get("vaccines") or {}).items()}
