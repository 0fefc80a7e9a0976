"""The time vocabulary (`data/times.yaml`, `data/numbers.yaml`) and its compilation into Matcher patterns."""

from __future__ import annotations

from functools import cached_property, lru_cache
from itertools import product
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

DATA = Path(__file__).with_name("data")
TIMES_PATH = DATA / "times.yaml"
NUMBERS_PATH = DATA / "numbers.yaml"

Token = dict[str, Any]
RULES = (
    "rolling_back",
    "rolling_back_one",
    "rolling_forward",
    "previous_period",
    "this_period",
    "next_period",
    "ago",
    "in_future",
    "relday",
    "this_part",
    "weekday",
    "month",
    "year",
    "date",
)
_DAY_SHAPES = ["d", "dd", "dxx", "ddxx"]
_NUMDATE_SHAPES = [f"{a}/{b}/{y}" for a in ("d", "dd") for b in ("d", "dd") for y in ("dd", "dddd")]
_ISO_DATE: list[Token] = [
    {"SHAPE": "dddd"},
    {"ORTH": "-"},
    {"SHAPE": {"IN": ["d", "dd"]}},
    {"ORTH": "-"},
    {"SHAPE": {"IN": ["d", "dd"]}},
]


class PartOfDay(BaseModel):
    """Clock hours of a part of the day ("morning" 06:00-12:00)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    start: str = Field(alias="from")
    end: str = Field(alias="to")
    words: tuple[str, ...]


class TimeVocabulary(BaseModel):
    """Words and rules of `times.yaml` plus the number and comparison words of `numbers.yaml`."""

    model_config = ConfigDict(frozen=True)

    week_starts_on: str = "monday"
    units: dict[str, tuple[str, ...]]
    months: dict[int, tuple[str, ...]]
    weekdays: dict[int, tuple[str, ...]]
    relative_days: dict[int, tuple[str, ...]]
    parts_of_day: dict[str, PartOfDay]
    implied_parts: dict[str, str] = Field(default_factory=dict)
    combinators: dict[str, tuple[str, ...]]
    range_links: tuple[str, ...]
    leads: tuple[str, ...]
    strong_leads: tuple[str, ...]
    need_context: tuple[str, ...]
    rules: dict[str, tuple[str, ...]]
    numbers: dict[str, int]
    comparators: dict[str, tuple[str, ...]]
    pair_words: tuple[str, ...] = ()
    """Words joining the two numbers of one reading ("200 over 130" = 200/130)."""

    @classmethod
    def load(cls, times: Path = TIMES_PATH, numbers: Path = NUMBERS_PATH) -> TimeVocabulary:
        """Read both files and check every rule name is one `times.py` knows."""
        raw = yaml.safe_load(times.read_text(encoding="utf-8")) or {}
        nums = yaml.safe_load(numbers.read_text(encoding="utf-8")) or {}
        raw.pop("version", None)
        vocab = cls.model_validate(
            {
                **raw,
                "numbers": nums.get("numbers") or {},
                "comparators": nums.get("comparators") or {},
                "pair_words": nums.get("pair_words") or (),
            }
        )
        unknown = set(vocab.rules) - set(RULES)
        if unknown:
            raise ValueError(f"{times}: unknown time rules {sorted(unknown)}; known: {list(RULES)}")
        return vocab

    @cached_property
    def unit_of(self) -> dict[str, str]:
        """Written unit word -> unit name."""
        return {w: unit for unit, words in self.units.items() for w in words}

    @cached_property
    def month_of(self) -> dict[str, int]:
        """Month word -> month number (1-12)."""
        return {w: m for m, words in self.months.items() for w in words}

    @cached_property
    def weekday_of(self) -> dict[str, int]:
        """Weekday word -> weekday number (Monday 0)."""
        return {w: d for d, words in self.weekdays.items() for w in words}

    @cached_property
    def relday_of(self) -> dict[str, int]:
        """Relative-day phrase -> day offset from today."""
        return {w: d for d, words in self.relative_days.items() for w in words}

    @cached_property
    def part_of(self) -> dict[str, str]:
        """Part-of-day word -> part name."""
        return {w: p for p, part in self.parts_of_day.items() for w in part.words}

    @cached_property
    def combinator_of(self) -> dict[str, str]:
        """Combinator phrase ("ever since") -> combinator (since, before, after, until, between, from)."""
        return {w: c for c, words in self.combinators.items() for w in words}

    def _slot(self, name: str) -> list[list[Token]]:
        """Token alternatives of a slot: one-token alternatives folded into one `IN`, phrases spelled out."""
        if name == "YEAR":
            return [[{"SHAPE": "dddd"}]]
        if name == "DAYNUM":
            return [[{"SHAPE": {"IN": _DAY_SHAPES}}]]
        if name == "NUMDATE":
            return [[{"SHAPE": {"IN": _NUMDATE_SHAPES}}], _ISO_DATE]
        words: list[str] = {
            "NUMBER": list(self.numbers),
            "UNIT": list(self.unit_of),
            "MONTH": list(self.month_of),
            "MONTHNAME": [w for w in self.month_of if w not in self.need_context],
            "WEEKDAY": list(self.weekday_of),
            "DAYNAME": [w for w in self.weekday_of if w not in self.need_context],
            "RELDAY": list(self.relday_of),
            "PART": list(self.part_of),
            "LEAD": list(self.leads),
            "STRONGLEAD": list(self.strong_leads),
        }[name]
        single = sorted({w for w in words if " " not in w})
        alternatives: list[list[Token]] = [[{"LOWER": {"IN": single}}]] if single else []
        alternatives.extend([{"LOWER": part} for part in w.split()] for w in words if " " in w)
        if name == "NUMBER":
            alternatives.append([{"IS_DIGIT": True}])
        return alternatives

    def _element(self, element: str) -> tuple[list[list[Token]], bool]:
        optional = element.endswith("?") and len(element) > 1
        body = element[:-1] if optional else element
        if body.isupper() and body.isalpha():
            return self._slot(body), optional
        if body == ",":
            return [[{"ORTH": ","}]], optional
        return [[{"LOWER": {"IN": body.split("|")}}]], optional

    def patterns(self) -> dict[str, list[list[Token]]]:
        """Every rule's patterns as spaCy Matcher token patterns (optional phrase slots spelled out)."""
        compiled: dict[str, list[list[Token]]] = {}
        for rule, sources in self.rules.items():
            out: list[list[Token]] = []
            for source in sources:
                choices: list[list[list[Token]]] = []
                for element in source.split():
                    alternatives, optional = self._element(element)
                    choices.append([[], *alternatives] if optional else alternatives)
                out.extend([tok for part in combo for tok in part] for combo in product(*choices))
            compiled[rule] = [p for p in out if p]
        return compiled


@lru_cache(maxsize=1)
def time_vocabulary() -> TimeVocabulary:
    """The shipped time vocabulary, read once."""
    return TimeVocabulary.load()
