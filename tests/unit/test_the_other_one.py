""" "And the other one?" after an answer about one of two inhalers (pens, patches...) means the other of them.

The medicines the previous answer named are set aside; of the rest, those of the same dose form (or the same
ingredient: two metformin orders) are the ones meant. Only when none shares it are all the rest offered.
"""

from __future__ import annotations

from agent.other_one import the_other
from tests.fixtures.views import medication
from tools.views import Medication

ALBUTEROL = medication("albuterol 90 mcg/actuation inhaler")
FLUTICASONE = medication("fluticasone propionate 44 mcg/actuation inhaler")
METFORMIN = medication("metformin 500 mg oral tablet")
METFORMIN_ER = medication("metformin 1000 mg extended release oral tablet")
GLARGINE = medication("insulin glargine 100 units/mL pen injector")
LISPRO = medication("insulin lispro 100 units/mL pen injector")
MEDICINES = [METFORMIN, ALBUTEROL, GLARGINE, FLUTICASONE, LISPRO, METFORMIN_ER]


def _names(found: list[Medication]) -> list[str]:
    return [m.name for m in found]


def test_the_other_inhaler() -> None:
    assert _names(the_other((ALBUTEROL.name,), MEDICINES)) == [FLUTICASONE.name]


def test_the_other_insulin_pen() -> None:
    assert _names(the_other((LISPRO.name,), MEDICINES)) == [GLARGINE.name]


def test_the_other_order_of_the_same_ingredient() -> None:
    assert _names(the_other((METFORMIN.name,), MEDICINES)) == [METFORMIN_ER.name]


def test_without_a_shared_form_or_ingredient_all_the_rest_are_offered() -> None:
    assert _names(the_other((METFORMIN.name,), [METFORMIN, ALBUTEROL])) == [ALBUTEROL.name]
    assert _names(the_other((), [METFORMIN, ALBUTEROL])) == [METFORMIN.name, ALBUTEROL.name]
