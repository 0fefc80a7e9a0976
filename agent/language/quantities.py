"""Numbers with units in a message ("sugar is 62", "BP 118/77", "fever of 104", "below 70 mg/dL").

Numbers are spaCy `like_num` tokens (a joined "62mg" or "104F" is split structurally); units come from
`tools/concepts/units.yaml`, comparison words from `data/numbers.yaml`. Numbers inside a time phrase or a
concept's own words ("type 2 diabetes", "PHQ-9") are not readings; inside a red-flag phrase ("sugar over
300") they are. A reading belongs to the nearest lab,
vital or symptom mention in its sentence, within a few words, preferring one before it ("sugar is 62").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.language import Language
from spacy.tokens import Doc, Token

from agent.language.models import Comparator, Kind, Quantity
from agent.language.phrases import PhraseIndex
from agent.language.targets import TargetHit
from agent.language.timevocab import time_vocabulary
from tools.concepts import units

ATTACH_KINDS: tuple[Kind, ...] = ("lab_or_vital", "symptom")
MAX_DISTANCE = 6
NOT_A_MEASURE_PENALTY = 12
"""Rank added when the owner is a symptom, not a lab or vital: a number belongs to the measurement named
within about three tokens before the symptom ("my sugar, I'm at 65 and sweating" is a sugar of 65)."""
BARE_PAIR_CONCEPT = "blood_pressure"
BARE_PAIR_TOP = (60.0, 300.0)
BARE_PAIR_BOTTOM = (30.0, 200.0)
"""A pair of numbers with no unit and no measurement named ("is 140/90 too high?", "220 over 130") is
read as a blood pressure when its top number lies in 60-300 and its bottom in 30-200, below the top:
patients write blood pressures that way, and "12/14" (a date) or "1/2" (a half) fall outside."""
MAX_UNIT_TOKENS = 4
_NUMBER_THEN_TEXT = re.compile(r"^(\d+(?:\.\d+)?)(\D.*)$")
_SPACES = re.compile(r"\s+")


def _unit_key(text: str) -> str:
    return _SPACES.sub("", text.lower())


class QuantityFinder:
    """Pipeline component: stores `doc._.quantities` (after targets and time phrases are found)."""

    def __init__(self, nlp: Language) -> None:
        self.units: dict[str, str] = {}
        for unit in units().values():
            for alias in (unit.code, *unit.aliases):
                self.units.setdefault(_unit_key(alias), unit.code)
        self.comparators: PhraseIndex[str] = PhraseIndex(nlp)
        for symbol, phrases in time_vocabulary().comparators.items():
            for phrase in phrases:
                self.comparators.add(phrase, symbol)
        self.pair_words = frozenset(time_vocabulary().pair_words)

    def _unit(self, doc: Doc, rest: str, after: int) -> tuple[str | None, int]:
        """The unit written right after a number (`rest` is what was glued to it), and where it ends."""
        best: tuple[str | None, int] = (self.units.get(_unit_key(rest)) if rest else None, after)
        if rest and best[0] is None:
            return None, after
        for size in range(1, MAX_UNIT_TOKENS + 1):
            if after + size > len(doc):
                break
            written = rest + "".join(t.text for t in doc[after : after + size])
            code = self.units.get(_unit_key(written))
            if code is not None:
                best = (code, after + size)
        return best

    def __call__(self, doc: Doc) -> Doc:
        """Find readings; attach each to the nearest lab, vital or symptom mention."""
        targets: Sequence[TargetHit] = doc._.targets or []
        skip = {i for t in doc._.time_spans or [] for i in range(t.start, t.end)}
        skip |= {i for t in targets if t.key.kind != "red_flag" for i in range(t.start, t.end)}
        compare_before = {h.end: h for h in self.comparators(doc)}
        found: list[Quantity] = []
        paired: set[int] = set()
        for token in doc:
            if token.i in skip or token.i in paired or not token.text[0].isdigit():
                continue
            glued = _NUMBER_THEN_TEXT.match(token.text)
            if token.like_num and not token.shape_.endswith("xx"):
                number, rest = token.text.replace(",", ""), ""
            elif glued:
                number, rest = glued.group(1), glued.group(2)
            else:
                continue
            pieces = number.split("/")
            if len(pieces) > 2 or not all(_is_number(p) for p in pieces):
                continue
            second = self._paired(doc, token.i) if len(pieces) == 1 and not rest else None
            if second is not None:
                pieces.append(second.text)
                paired.add(second.i)
            unit, end = self._unit(doc, rest, (second.i if second is not None else token.i) + 1)
            if rest and unit is None:
                continue  # "2nd", "3x": not a reading
            comparator = compare_before.get(token.i)
            first = comparator.start if comparator else token.i
            span = doc[first:end]
            hit = self._owner(doc, token.i, end, targets)
            unnamed = hit is None or hit.key.kind == "symptom"  # a symptom has no pair of numbers
            bare_pressure = unnamed and unit is None and _blood_pressure_shaped(pieces)
            found.append(
                Quantity(
                    text=span.text,
                    start=span.start_char,
                    end=span.end_char,
                    value=float(pieces[0]),
                    value2=float(pieces[1]) if len(pieces) == 2 else None,
                    unit=unit,
                    comparator=_comparator(comparator.payload) if comparator else None,
                    concept_id=BARE_PAIR_CONCEPT if bare_pressure else hit.key.concept_id if hit else None,
                    kind="lab_or_vital" if bare_pressure else hit.key.kind if hit else None,
                )
            )
        doc._.quantities = found
        return doc

    def _paired(self, doc: Doc, i: int) -> Token | None:
        """The second number of "200 over 130" (a pair word between two plain numbers), if any."""
        if i + 2 >= len(doc) or doc[i + 1].lower_ not in self.pair_words:
            return None
        second = doc[i + 2]
        return second if second.like_num and _is_number(second.text) else None

    @staticmethod
    def _owner(doc: Doc, start: int, end: int, targets: Sequence[TargetHit]) -> TargetHit | None:
        sentence = doc[start].sent
        best: tuple[int, TargetHit] | None = None
        for hit in targets:
            if hit.key.kind not in ATTACH_KINDS or not (sentence.start <= hit.start < sentence.end):
                continue
            before = start - hit.end if hit.end <= start else None
            after = hit.start - end if hit.start >= end else None
            distance = before if before is not None else after
            if distance is None or distance > MAX_DISTANCE:
                continue
            rank = distance * 4 + (2 if before is None else 0)
            rank += NOT_A_MEASURE_PENALTY if hit.key.kind != "lab_or_vital" else 0
            if best is None or rank < best[0]:
                best = (rank, hit)
        return best[1] if best else None


def _blood_pressure_shaped(pieces: list[str]) -> bool:
    """Whether an unnamed, unitless pair reads as a blood pressure ("is 140/90 too high?")."""
    if len(pieces) != 2 or not all(_is_number(p) for p in pieces):
        return False
    top, bottom = float(pieces[0]), float(pieces[1])
    return BARE_PAIR_TOP[0] <= top <= BARE_PAIR_TOP[1] and BARE_PAIR_BOTTOM[0] <= bottom < top


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_COMPARATORS: dict[str, Comparator] = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "="}


def _comparator(symbol: str) -> Comparator | None:
    return _COMPARATORS.get(symbol)
