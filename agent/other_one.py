"""Which medicine "the other one" means after an answer about one of them.

The previous answer's medicines are set aside. Of the rest, the ones that share a dose form ("inhaler",
"pen", "patch": `DOSE_FORM_WORDS`) or an ingredient (two metformin orders) with what was discussed are meant;
only when none does are all the rest offered, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.matching import DOSE_FORM_WORDS, medications_of_form
from agent.text import normalise
from tools.views import Medication


def _ingredient(medication: Medication) -> str:
    """The first word of the name: the ingredient as prescriptions are written ("metformin 500 mg ...")."""
    words = normalise(medication.name).split()
    return words[0] if words else ""


def the_other(discussed: Sequence[str], medications: Sequence[Medication]) -> list[Medication]:
    """The patient's medicines "the other one" means, given the names the previous answer discussed."""
    before = [m for m in medications if m.name in discussed]
    rest = [m for m in medications if m.name not in discussed]
    forms = " ".join(w for m in before for w in normalise(m.name).split() if w in DOSE_FORM_WORDS)
    same_form = medications_of_form(forms, rest) if forms else []
    ingredients = {_ingredient(m) for m in before}
    same_ingredient = [m for m in rest if _ingredient(m) in ingredients]
    kin = {m.name for m in [*same_form, *same_ingredient]}
    return [m for m in rest if m.name in kin] or rest
