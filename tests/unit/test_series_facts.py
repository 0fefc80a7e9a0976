"""Derived lab numbers: phrased from the readings, recomputed by the verifier, removed when wrong."""

from __future__ import annotations

import pytest

from agent.grounding.derived import series_text
from agent.grounding.render import render_resource_text
from agent.grounding.series_check import series_conflicts
from agent.grounding.verifier import Verifier
from agent.series_facts import series_fact
from tools import parse

WEIGHTS = [("2026-10-01T08:00:00Z", 92.0), ("2026-11-01T08:00:00Z", 90.5), ("2026-12-01T08:00:00Z", 88.2)]


def _body(when: str, value: float, code: str = "WT", unit: str = "kg", n: int = 0) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "id": f"o{n}",
        "status": "final",
        "code": {"coding": [{"system": "urn:example:local-lab", "code": code}], "text": code},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit},
    }


def _bodies() -> list[dict[str, object]]:
    return [_body(w, v, n=i) for i, (w, v) in enumerate(WEIGHTS)]


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        ("average", "Your weight averaged 90.2 kg over 3 results from October 1, 2026 to December 1, 2026."),
        (
            "lowest",
            "Your lowest weight result was 88.2 kg, among 3 results from October 1, 2026 to December 1, 2026.",
        ),
        (
            "highest",
            "Your highest weight result was 92 kg, among 3 results from October 1, 2026 to December 1, 2026.",
        ),
        (
            "trend",
            "Your weight is going down: from 92 kg on October 1, 2026 to 88.2 kg on December 1, 2026, "
            "a change of 3.8 kg over 3 results.",
        ),
    ],
)
def test_a_series_fact_states_the_statistic_and_cites_every_reading(aggregate: str, expected: str) -> None:
    found = [parse.observation(b) for b in reversed(_bodies())]
    fact = series_fact(aggregate, "weight", found)  # type: ignore[arg-type]
    assert fact is not None
    assert fact.text == expected
    assert [c.reference for c in fact.components] == ["Observation/o0", "Observation/o1", "Observation/o2"]
    assert fact.source.reference == "Observation/o2", "the newest reading is the citation"
    cited = [render_resource_text(fact.source.json_body), series_text(_bodies())]
    assert Verifier().check(fact.text, cited).supported
    assert series_conflicts(fact.text, _bodies()) == ()


@pytest.mark.parametrize(
    "wrong",
    [
        "Your weight averaged 91 kg over 3 results from October 1, 2026 to December 1, 2026.",
        "Your weight averaged 90.2 kg over 4 results from October 1, 2026 to December 1, 2026.",
    ],
)
def test_the_verifier_removes_a_wrong_average_or_count(wrong: str) -> None:
    verdict = Verifier().check(wrong, [series_text(_bodies())])
    assert not verdict.supported and verdict.missing, verdict.reason


@pytest.mark.parametrize(
    "wrong",
    [
        "Your highest weight result was 88.2 kg, among 3 results from October 1, 2026 to December 1, 2026.",
        "Your lowest weight result was 92 kg, among 3 results from October 1, 2026 to December 1, 2026.",
        "Your weight is going up: from 92 kg on October 1, 2026 to 88.2 kg on December 1, 2026.",
    ],
)
def test_a_swapped_statistic_or_flipped_direction_is_a_conflict(wrong: str) -> None:
    assert series_conflicts(wrong, _bodies())


def test_a_name_gloss_is_not_read_as_a_statistic() -> None:
    a1c = [
        _body("2026-06-01T08:00:00Z", 6.1, "A1C", "%", 0),
        _body("2026-09-01T08:00:00Z", 6.8, "A1C", "%", 1),
    ]
    sentence = "Your A1c (3-month average blood sugar) is going up: from 6.1 % on June 1, 2026 to 6.8 %."
    assert series_conflicts(sentence, a1c) == ()


def test_readings_in_another_unit_are_left_out_not_mixed() -> None:
    bodies = [*_bodies(), _body("2026-09-01T08:00:00Z", 200.0, unit="[lb_av]", n=9)]
    fact = series_fact("average", "weight", [parse.observation(b) for b in bodies])
    assert fact is not None and "90.2 kg over 3 results" in fact.text
    assert "Observation/o9" not in [c.reference for c in fact.components]


def test_one_reading_is_an_average_of_one_and_no_trend() -> None:
    only = [_bodies()[0]]
    fact = series_fact("average", "weight", [parse.observation(only[0])])
    assert fact is not None
    assert fact.text == "Your weight averaged 92 kg over 1 result, on October 1, 2026."
    assert Verifier().check(fact.text, [series_text(only)]).supported
    assert series_fact("trend", "weight", [parse.observation(only[0])]) is None
