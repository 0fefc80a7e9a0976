"""Medicines named by their group ("my blood thinner", "my water pill", "my controller inhaler")."""

from __future__ import annotations

from datetime import date

import pytest

from agent.language import analyze
from agent.matching import medications_of_class, narrows_medications
from tests.fixtures.views import medication

MEDICINES = [
    medication("warfarin 5 mg oral tablet", "m1", refills_allowed=1, authored_on=date(2026, 1, 1)),
    medication(
        "Eliquis 5 mg tablet", "m2", refills_allowed=1, authored_on=date(2026, 1, 1)
    ),  # a brand, read as apixaban
    medication("furosemide 40 mg oral tablet", "m3", refills_allowed=1, authored_on=date(2026, 1, 1)),
    medication(
        "fluticasone propionate 44 mcg/actuation inhaler",
        "m4",
        refills_allowed=1,
        authored_on=date(2026, 1, 1),
    ),
    medication("albuterol 90 mcg/actuation inhaler", "m5", refills_allowed=1, authored_on=date(2026, 1, 1)),
    medication(
        "fluticasone-salmeterol 250-50 mcg inhalation powder",
        "m6",
        refills_allowed=1,
        authored_on=date(2026, 1, 1),
    ),
    medication("metformin 1000 mg oral tablet", "m7", refills_allowed=1, authored_on=date(2026, 1, 1)),
]


@pytest.mark.parametrize(
    ("message", "ids"),
    [
        ("what's my blood thinner called?", ["m1", "m2"]),
        ("which one is my water pill", ["m3"]),
        ("what is my asthma controller inhaler called?", ["m4", "m6"]),
        ("how often can I use my rescue inhaler", ["m5"]),
        ("what are my diabetes meds", ["m7"]),
        ("what medications am I taking?", []),  # the whole list is no group
    ],
)
def test_a_group_names_the_patients_medicines_in_it(message: str, ids: list[str]) -> None:
    assert [m.source.id for m in medications_of_class(message, MEDICINES)] == ids


def test_only_a_group_or_a_form_narrows_the_list() -> None:
    assert narrows_medications("what's my blood thinner?")
    assert narrows_medications("what inhalers am I on?")
    assert not narrows_medications("what medications am I taking?")


def test_a_reading_named_inside_a_medicine_group_is_no_reading() -> None:
    kinds = {(m.kind, m.concept_id) for m in analyze("what are my blood pressure meds?").mentions}
    assert ("medication", "blood_pressure") in kinds
    assert not any(kind == "lab_or_vital" for kind, _ in kinds)
    # The reading alone still is one.
    assert any(m.kind == "lab_or_vital" for m in analyze("what was my blood pressure last week?").mentions)


@pytest.mark.parametrize(
    "message",
    [
        "my 3 year old swallowed one of my pills",
        "my 2-year-old ate one of my blood pressure pills",
        "my 18 month old got into my meds",
    ],
)
def test_a_child_named_by_age_is_a_child(message: str) -> None:
    relations = {m.experiencer.relation for m in analyze(message).mentions if m.kind == "person"}
    assert relations == {"child"}
