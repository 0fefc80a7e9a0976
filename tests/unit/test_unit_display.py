"""Units are shown to patients readably: UCUM annotations (`mL/min/{1.73_m2}`) never reach an answer."""

from __future__ import annotations

from datetime import datetime

import pytest

from agent.grounding.render import render_resource_text
from agent.grounding.verifier import Verifier
from agent.toolbox import observation_fact
from tools.concepts.units import shown_unit, units
from tools.views import Observation, SourceResource

EGFR = {
    "resourceType": "Observation",
    "id": "egfr1",
    "status": "final",
    "code": {
        "coding": [{"system": "http://loinc.org", "code": "33914-3", "display": "eGFR"}],
        "text": "eGFR",
    },
    "effectiveDateTime": "2026-10-06T08:00:00Z",
    "valueQuantity": {"value": 83, "unit": "mL/min/{1.73_m2}", "code": "mL/min/{1.73_m2}"},
}
BP = {
    "resourceType": "Observation",
    "id": "bp1",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}], "text": "Blood pressure"},
    "effectiveDateTime": "2026-11-02T09:00:00Z",
    "component": [
        {
            "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
            "valueQuantity": {"value": 138, "unit": "mm[Hg]"},
        },
        {
            "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
            "valueQuantity": {"value": 86, "unit": "mm[Hg]"},
        },
    ],
}


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("mL/min/{1.73_m2}", "mL/min/1.73 m²"),
        ("mL/min", "mL/min"),
        ("mg/dL", "mg/dL"),
        ("umol/L", "µmol/L"),
        ("{INR}", ""),
        ("10*3/uL", "thousand per µL"),
        ("{cells}/uL", "cells/uL"),
        ("mmol/L", "mmol/L"),
        ("", ""),
        (None, ""),
    ],
)
def test_units_are_shown_readably(written: str | None, shown: str) -> None:
    assert shown_unit(written) == shown


def _egfr() -> Observation:
    source = SourceResource(resource_type="Observation", id="egfr1", json_body=EGFR)
    return Observation(
        source=source,
        name="eGFR",
        loinc="33914-3",
        value="83",
        unit="mL/min/{1.73_m2}",
        effective=datetime.fromisoformat("2026-10-06T08:00:00+00:00"),
        category=None,
    )


def test_a_result_sentence_shows_the_readable_unit_and_still_verifies() -> None:
    fact = observation_fact(_egfr())
    assert "83 mL/min/1.73 m²" in fact.text and "{" not in fact.text
    verdict = Verifier().check(fact.text, [render_resource_text(EGFR)])
    assert verdict.supported, verdict.reason


@pytest.mark.parametrize(
    ("value", "unit"), [("138/86", "mm[Hg]"), ("2.4", "{INR}"), ("7.2", "%"), ("4.1", "mmol/L")]
)
def test_readable_units_still_verify_against_the_raw_record(value: str, unit: str) -> None:
    body = {**EGFR, "valueQuantity": {"value": float(value), "unit": unit}} if "/" not in value else BP
    source = SourceResource(resource_type="Observation", id="o1", json_body=body)
    seen = Observation(
        source=source, name="eGFR", loinc=None, value=value, unit=unit, effective=None, category=None
    )
    fact = observation_fact(seen)
    assert "[" not in fact.text and "{" not in fact.text and "  " not in fact.text
    verdict = Verifier().check(fact.text, [render_resource_text(body)])
    assert verdict.supported, (fact.text, verdict.reason)


@pytest.mark.parametrize("code", sorted(units()))
def test_every_unit_shown_readably_verifies_against_its_ucum_code(code: str) -> None:
    body = {**EGFR, "valueQuantity": {"value": 42.5, "unit": code}}
    source = SourceResource(resource_type="Observation", id="o1", json_body=body)
    seen = Observation(
        source=source, name="eGFR", loinc=None, value="42.5", unit=code, effective=None, category=None
    )
    fact = observation_fact(seen)
    verdict = Verifier().check(fact.text, [render_resource_text(body)])
    assert verdict.supported, (fact.text, verdict.reason)
