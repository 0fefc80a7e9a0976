"""A result the record lacks is answered with the closest results it has: same panel or body system, cited.

"What's my LDL?" on a record with total cholesterol and HDL (and no LDL) names those two, each the newest
of its kind as recorded; never a result of another system, never one the record does not hold.
"""

from __future__ import annotations

from agent.lab_search import related_results
from tools import parse

LOINC = "http://loinc.org"


def _obs(
    oid: str, code: dict[str, object], when: str, value: float, unit: str = "mg/dL"
) -> dict[str, object]:
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": code,
            "effectiveDateTime": when, "valueQuantity": {"value": value, "unit": unit}}  # fmt: skip


RECORD = [
    parse.observation(o)
    for o in [
        _obs("chol-old", {"coding": [{"system": LOINC, "code": "2093-3"}]}, "2025-04-01T09:00:00Z", 201),
        _obs("chol-new", {"coding": [{"system": LOINC, "code": "2093-3"}]}, "2026-10-06T09:00:00Z", 156),
        _obs("hdl", {"coding": [{"system": "urn:local", "code": "HDL"}], "text": "HDL"}, "2026-10-06T09:00:00Z", 39),
        _obs("k", {"coding": [{"system": LOINC, "code": "2823-3"}]}, "2026-11-01T09:00:00Z", 4.2, "mmol/L"),
        _obs("wt", {"coding": [{"system": LOINC, "code": "29463-7"}]}, "2026-11-01T09:00:00Z", 82, "kg"),
    ]
]  # fmt: skip


def test_an_absent_lab_names_the_newest_of_each_related_result_in_the_record() -> None:
    related = related_results("ldl", RECORD)
    assert sorted(o.source.id for o in related) == ["chol-new", "hdl"]


def test_nothing_of_another_system_is_offered() -> None:
    assert [o.source.id for o in related_results("egfr", RECORD)] == ["k"]
    assert related_results("tsh", RECORD) == []


def test_vital_signs_are_not_a_body_system() -> None:
    assert related_results("temperature", RECORD) == []
