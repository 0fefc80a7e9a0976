"""Vaccination questions answered from the record however it codes the vaccine: CVX, local code, text only."""

from __future__ import annotations

from datetime import date

import pytest

from agent.immunization_facts import immunization_facts, is_vaccine
from tools.concepts import vaccines
from tools.views import Immunization, SourceResource


def _given(name: str, cvx: str | None, on: date | None, n: int = 1) -> Immunization:
    source = SourceResource(
        resource_type="Immunization", id=f"imm-{n}", json_body={"resourceType": "Immunization"}
    )
    return Immunization(source=source, vaccine=name, cvx=cvx, occurred=on, status="completed")


FLU_2026 = _given("influenza, injectable, quadrivalent, preservative free", "150", date(2026, 10, 2), 1)
FLU_2025 = _given("Fluzone High-Dose", None, date(2025, 10, 9), 2)  # a brand name, no CVX coding
TDAP_LOCAL = _given("TDAP ADULT (CLINIC STOCK)", None, date(2019, 3, 1), 3)  # local code, text only
SHINGRIX = _given("Shingrix dose 1", "187", date(2024, 5, 5), 4)
HISTORY = [FLU_2026, SHINGRIX, FLU_2025, TDAP_LOCAL]


@pytest.mark.parametrize(
    ("given", "vaccine", "expected"),
    [
        (FLU_2026, "influenza", True),
        (FLU_2025, "influenza", True),  # a brand name in the record_words
        (TDAP_LOCAL, "tetanus", True),
        (SHINGRIX, "shingles", True),
        (SHINGRIX, "influenza", False),
        (FLU_2026, "any", True),
    ],
)
def test_a_recorded_vaccination_is_recognised_by_code_or_by_name(
    given: Immunization, vaccine: str, expected: bool
) -> None:
    assert is_vaccine(given, vaccines()[vaccine]) is expected


def test_the_latest_dose_of_the_asked_vaccine_comes_first_with_its_date() -> None:
    facts, note = immunization_facts(HISTORY, "influenza")
    assert note is None
    assert (
        facts[0].text
        == "Your record shows a vaccination on October 2, 2026: influenza, injectable, quadrivalent, preservative free."
    )
    assert facts[0].source.id == "imm-1" and facts[0].title == "Your vaccinations"


def test_a_vaccine_not_in_the_record_is_said_to_be_missing_not_guessed() -> None:
    facts, note = immunization_facts(HISTORY, "covid19")
    assert facts == [] and note == "no_vaccine"
    assert immunization_facts([], "any") == ([], "no_vaccinations")


def test_the_whole_history_lists_every_vaccination_newest_first() -> None:
    facts, _ = immunization_facts(HISTORY, "any")
    assert [f.source.id for f in facts] == ["imm-1", "imm-4", "imm-2", "imm-3"]
