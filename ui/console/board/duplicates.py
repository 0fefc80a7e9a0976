"""Duplicate-therapy flags: two active prescriptions of one ingredient, one class, or two duplicating classes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tools.concepts.names import key
from tools.views import Medication
from ui.console.board.tables import TherapyClasses, therapy_classes


@dataclass(frozen=True)
class DuplicateFlag:
    """Why a prescription is flagged, naming the other prescription(s) it duplicates."""

    reason: str
    """E.g. "statin, as atorvastatin 20 mg oral tablet"."""
    others: tuple[str, ...]
    """`MedicationRequest/<id>` of the duplicating prescriptions."""


def _classes_of(name: str, table: TherapyClasses) -> dict[str, str]:
    """Class name → the ingredient of that class found (as whole words) in a medication name."""
    words = f" {key(name)} "
    return {
        cls: ingredient
        for cls, ingredients in table.classes.items()
        for ingredient in ingredients
        if f" {key(ingredient)} " in words
    }


def duplicate_flags(
    medications: Sequence[Medication], table: TherapyClasses | None = None
) -> dict[str, DuplicateFlag]:
    """`MedicationRequest/<id>` → its flag, for each active prescription that duplicates another."""
    table = table or therapy_classes()
    found = {m.reference: _classes_of(m.name, table) for m in medications}
    names = {m.reference: m.name for m in medications}
    paired = {frozenset(pair) for pair in table.pairs}
    flags: dict[str, DuplicateFlag] = {}
    for med in medications:
        mine = found[med.reference]
        reasons: list[str] = []
        others: list[str] = []
        for other in medications:
            if other.reference == med.reference:
                continue
            theirs = found[other.reference]
            shared = set(mine) & set(theirs)
            crossed = [f"{a} + {b}" for a in mine for b in theirs if frozenset((a, b)) in paired]
            if shared or crossed:
                what = ", ".join(sorted(shared) or crossed)
                reasons.append(f"{what}, as {names[other.reference]}")
                others.append(other.reference)
        if reasons:
            flags[med.reference] = DuplicateFlag(reason="; ".join(reasons), others=tuple(others))
    return flags
