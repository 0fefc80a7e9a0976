"""Guidance fitted to the patient's conditions, however the problem list codes them.

An asthma patient who wheezes is not quoted the COPD flare-up plan; guidance about a condition they do
not have stays when nothing about a look-alike condition of theirs came back; and problem lists coded
with ICD-10, local codes or text only are all recognised.
"""

from __future__ import annotations

from datetime import date

import pytest

from agent.condition_topics import condition_table
from agent.passage_fit import for_their_conditions
from tests.fixtures.views import passage
from tools.views import Condition, SourceResource


def _problem(name: str, icd10: str | None = None) -> Condition:
    source = SourceResource(resource_type="Condition", id="c1", json_body={"resourceType": "Condition"})
    return Condition(source=source, name=name, icd10=icd10, clinical_status="active", onset=date(2020, 1, 1))


COPD_FLARE = passage("copd-flare-action-plan", "respiratory", "copd", "flare-up")
ASTHMA_PLAN = passage("asthma-action-plan", "respiratory", "asthma", "action-plan")
INHALERS = passage("inhaler-technique", "respiratory", "inhalers", "asthma", "copd")
GENERAL = passage("taking-medicines-safely", "medications")
HF_SIGNS = passage("heart-failure-warning-signs", "heart", "heart-failure", "warning-signs")
DIABETES_PAIN = passage("pain-relief-with-diabetes", "pain", "diabetes", "kidney-health", "nsaids")
CKD_NSAIDS = passage("ckd-and-nsaids", "kidney", "ckd", "nsaids")
OLDER_PAIN = passage("pain-relief-older-adults", "pain", "older-adults", "nsaids")


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        (_problem("Asthma", "J45.909"), {"asthma"}),
        (_problem("Mild intermittent asthma"), {"asthma"}),  # text only
        (_problem("Chronic obstructive lung disease", None), {"copd"}),
        (_problem("CKD stage 3b"), {"ckd"}),  # a local abbreviation, no ICD-10
        (_problem("Problem 4471", "N18.32"), {"ckd"}),  # an opaque local name, a standard code
        (_problem("Congestive heart failure", "LOCAL-HF"), {"heart-failure"}),  # a local code, words
        (_problem("Type 2 diabetes mellitus with diabetic nephropathy", "E11.21"), {"diabetes", "ckd"}),
        (_problem("Primary osteoarthritis of right knee", "M17.11"), set()),
    ],
)
def test_problem_lists_are_recognised_however_they_are_coded(problem: Condition, expected: set[str]) -> None:
    assert condition_table().recognise(problem) == expected


def test_the_asthma_patient_is_not_quoted_the_copd_plan() -> None:
    fit = for_their_conditions(
        "I've been wheezing more at night",
        [COPD_FLARE, ASTHMA_PLAN, INHALERS, GENERAL],
        lambda: [_problem("Asthma")],
    )
    assert fit.passages == (ASTHMA_PLAN, INHALERS, GENERAL)
    assert fit.conditions == ("asthma",)


def test_a_patient_with_both_keeps_both_and_a_named_condition_stays() -> None:
    both = [_problem("Asthma"), _problem("COPD", "J44.9")]
    assert for_their_conditions("wheezing", [COPD_FLARE, ASTHMA_PLAN], lambda: both).passages == (
        COPD_FLARE,
        ASTHMA_PLAN,
    )
    named = for_their_conditions(
        "is this a COPD flare?", [COPD_FLARE, ASTHMA_PLAN], lambda: [_problem("Asthma")]
    )
    assert named.passages == (COPD_FLARE, ASTHMA_PLAN)


def test_guidance_without_a_look_alike_of_theirs_stays() -> None:
    # A diabetic asking about heart-failure signs: the diabetes passage is no rival for the heart one.
    fit = for_their_conditions(
        "signs of fluid buildup", [HF_SIGNS, DIABETES_PAIN], lambda: [_problem("Diabetes", "E11.9")]
    )
    assert fit.passages == (HF_SIGNS, DIABETES_PAIN)
    assert fit.conditions == ("diabetes",)


def test_the_problem_list_is_read_only_when_a_passage_is_about_a_condition() -> None:
    def unread() -> list[Condition]:
        raise AssertionError("the problem list was read for passages about no condition")

    assert for_their_conditions("how do I use a pill box", [GENERAL, OLDER_PAIN], unread).passages == (
        GENERAL,
        OLDER_PAIN,
    )


def test_an_unreadable_or_empty_problem_list_keeps_everything() -> None:
    fit = for_their_conditions("wheezing", [COPD_FLARE, ASTHMA_PLAN], lambda: [])
    assert fit.passages == (COPD_FLARE, ASTHMA_PLAN) and fit.conditions == ()


def test_the_kidney_patient_gets_the_kidney_passage_marked_for_the_composer() -> None:
    fit = for_their_conditions(
        "can I take ibuprofen?", [OLDER_PAIN, CKD_NSAIDS], lambda: [_problem("CKD stage 3a")]
    )
    assert fit.passages == (OLDER_PAIN, CKD_NSAIDS) and fit.conditions == ("ckd",)
    assert condition_table().speaks_to("Most people with kidney disease should avoid NSAIDs.", fit.conditions)
    assert not condition_table().speaks_to("NSAIDs can harm the kidneys.", fit.conditions)
