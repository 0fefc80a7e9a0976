"""Age on the clinic's clock, and the text the verifier derives from a Patient resource."""

from __future__ import annotations

from datetime import date

import pytest

from agent.grounding.derived import derived_text
from tools.ages import age_on


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (date(1979, 5, 20), date(2026, 5, 19), 46),
        (date(1979, 5, 20), date(2026, 5, 20), 47),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
    ],
)
def test_age_counts_completed_years(born: date, today: date, age: int) -> None:
    assert age_on(born, today) == age


def test_the_verifier_recomputes_age_from_the_birth_date() -> None:
    text = derived_text({"resourceType": "Patient", "birthDate": "1979-05-20"}, date(2026, 12, 7))
    assert "May 20, 1979" in text and "47 years old" in text


def test_only_a_patient_with_a_birth_date_yields_derived_text() -> None:
    assert derived_text({"resourceType": "Observation"}, date(2026, 12, 7)) == ""
    assert derived_text({"resourceType": "Patient", "birthDate": "not a date"}, date(2026, 12, 7)) == ""


@pytest.mark.parametrize(("age", "supported"), [(47, True), (50, False)])
def test_an_age_claim_passes_the_verifier_only_when_it_matches_the_birth_date(
    age: int, supported: bool
) -> None:
    from agent.grounding.render import render_resource_text
    from agent.grounding.verifier import Verifier

    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1979-05-20"}
    cited = render_resource_text(patient) + "\n" + derived_text(patient, date(2026, 12, 7))
    sentence = f"You are {age} years old, going by the date of birth in your record (May 20, 1979)."
    assert Verifier().check(sentence, (cited,)).supported is supported


def test_a_blood_pressure_reading_is_drafted_with_its_two_components() -> None:
    from datetime import UTC, datetime

    from tools.drafts_orders import reading_draft

    taken = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    parts = [("8480-6", "Systolic blood pressure", 118.0), ("8462-4", "Diastolic blood pressure", 77.0)]
    draft = reading_draft(
        "Patient/p1", "Blood pressure panel", "85354-9", 118.0, "mm[Hg]", taken, "k1", components=parts
    )
    resource = draft.resource
    assert "valueQuantity" not in resource
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in resource["component"]] == [
        ("8480-6", 118.0),
        ("8462-4", 77.0),
    ]
    assert draft.summary == "Record Blood pressure panel 118/77 mm[Hg] (reported by the patient)"
