"""Guidance for the patient's own medicine: passages about a drug they do not take are left out."""

from __future__ import annotations

from agent.passage_fit import for_this_patient, generics_of
from tests.fixtures.views import passage

WARFARIN = passage("missed-dose-warfarin", "anticoagulation", "warfarin", "missed-dose")
APIXABAN = passage("missed-dose-apixaban", "anticoagulation", "apixaban", "missed-dose")
GENERAL = passage("taking-medicines-safely", "medications")
ON_WARFARIN = ["warfarin 5 mg oral tablet", "metformin 500 mg oral tablet"]


def test_the_cousin_drug_is_left_out_when_the_record_says_which_one() -> None:
    assert generics_of(ON_WARFARIN) == {"warfarin", "metformin"}
    kept = for_this_patient("I forgot my blood thinner", [APIXABAN, WARFARIN, GENERAL], lambda: ON_WARFARIN)
    assert [p.article_id for p in kept] == ["missed-dose-warfarin", "taking-medicines-safely"]


def test_a_drug_the_patient_names_is_kept() -> None:
    named = for_this_patient("should I switch to Eliquis?", [APIXABAN, WARFARIN], lambda: ON_WARFARIN)
    assert named == (APIXABAN, WARFARIN)


def test_nothing_is_dropped_without_a_record_that_decides() -> None:
    assert for_this_patient("blood thinner", [APIXABAN, WARFARIN], lambda: []) == (APIXABAN, WARFARIN)
    neither = ["lisinopril 10 mg oral tablet"]  # takes neither: both kept, the care team decides
    assert for_this_patient("blood thinner", [APIXABAN, WARFARIN], lambda: neither) == (APIXABAN, WARFARIN)


def test_the_record_is_read_only_when_two_drugs_came_back() -> None:
    def unread() -> list[str]:
        raise AssertionError("the record was read for one drug's passages")

    assert for_this_patient("missed my warfarin", [WARFARIN, GENERAL], unread) == (WARFARIN, GENERAL)
