"""Issue 12's aggregates, as a patient asks them: previous value, average over a window, trend, follow-ups.

Each test adds its own readings to a patient who has none of that concept, coded the way the issue's
records code them (local codes, text only), so the expected numbers are known exactly. Derived numbers
must survive the verifier (it recomputes them from the cited readings) and cite the readings they use.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from agent.service import ChatService
from tests.fixtures.agent import SeededSandbox
from tools.clock import Clock
from tools.sandbox.cohort import CohortPatient

pytestmark = pytest.mark.integration


GLUCOSE = ("2339-0", "2345-7")
POTASSIUM = ("2823-3", "6298-4")
WEIGHT = ("29463-7", "3141-9")


def _taken(resource: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(resource["effectiveDateTime"]).replace("Z", "+00:00"))


def _seeded(patient: CohortPatient, loinc: tuple[str, ...]) -> list[tuple[datetime, float]]:
    """The patient's seeded readings of a LOINC-coded concept, (taken, value)."""
    found = []
    for r in patient.resources:
        codes = {c.get("code") for c in r.get("code", {}).get("coding", [])} if r.get("code") else set()
        if r.get("resourceType") == "Observation" and codes & set(loinc) and "valueQuantity" in r:
            found.append((_taken(r), float(r["valueQuantity"]["value"])))
    return found


def _shown(value: float) -> str:
    return f"{round(value, 1):.1f}".rstrip("0").rstrip(".")


def _post(
    sandbox: SeededSandbox, patient: CohortPatient, code: str, unit: str, readings: list[tuple[float, float]]
) -> list[str]:
    """Add readings taken `hours` ago, (hours, value), coded `code` (a LOINC code or a local one); refs."""
    now = Clock("UTC").now()
    refs = []
    for hours, value in readings:
        taken: datetime = now - timedelta(hours=hours)
        system = "http://loinc.org" if code[0].isdigit() else "urn:example:local-lab"
        body = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": system, "code": code}], "text": code},
            "subject": {"reference": f"Patient/{patient.id}"},
            "effectiveDateTime": taken.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "valueQuantity": {"value": value, "unit": unit},
        }
        created = httpx.post(f"{sandbox.url}/Observation", json=body)
        assert created.status_code in (200, 201), created.text
        refs.append(f"Observation/{created.json()['id']}")
    return refs


def _fhir(result: object) -> list[str]:
    return [c.id for c in result.citations if c.kind == "fhir"]  # type: ignore[attr-defined]


def test_the_previous_value_is_the_reading_before_the_latest(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[10]
    refs = _post(seeded_sandbox, patient, "K", "mmol/L", [(1, 4.3), (2, 3.8)])
    result = chat_service.turn(patient.id, "what was my potassium before that?")
    assert "3.8 mmol/L" in result.answer, result.answer
    assert refs[1] in _fhir(result)
    assert result.grounding.removed == 0, result.trace


@pytest.mark.parametrize(("phrase", "days"), [("over the last week", 7), ("over the last 30 days", 30)])
def test_the_average_over_a_window_uses_every_reading_inside_it_however_coded(
    chat_service: ChatService, seeded_sandbox: SeededSandbox, phrase: str, days: int
) -> None:
    patient = seeded_sandbox.cohort.patients[11 + days // 30]
    posted = [(h, v) for h, v in [(3.0, 100.0), (27.0, 120.0), (51.0, 140.0), (75.0, 110.0)]]
    _post(seeded_sandbox, patient, "GLU", "mg/dL", posted)
    now = Clock("UTC").now()
    start = datetime.combine(now.date() - timedelta(days=days), datetime.min.time(), tzinfo=now.tzinfo)
    values = [v for t, v in _seeded(patient, GLUCOSE) if start <= t <= now] + [v for _, v in posted]
    result = chat_service.turn(patient.id, f"what was my average blood sugar {phrase}?")
    average = _shown(sum(values) / len(values))
    assert f"averaged {average} mg/dL over {len(values)} results" in result.answer, (values, result.answer)
    assert result.grounding.removed == 0, result.trace
    highest = chat_service.turn(patient.id, f"what was my highest blood sugar {phrase}")
    assert f"highest blood sugar (glucose) result was {_shown(max(values))} mg/dL" in highest.answer, (
        highest.answer
    )


def test_a_trend_gives_direction_first_and_last_value_change_and_count(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[14]
    _post(seeded_sandbox, patient, "WT", "kg", [(30.0, 91.0), (2.0, 60.5)])
    series = sorted([*_seeded(patient, WEIGHT), (Clock("UTC").now(), 60.5)])
    first, last = series[0][1], series[-1][1]
    result = chat_service.turn(patient.id, "is my weight going up or down?")
    answer = result.answer
    assert "going down" in answer and f"from {_shown(first)} kg" in answer, answer
    assert "to 60.5 kg" in answer and f"change of {_shown(first - last)} kg" in answer, answer
    assert f"over {len(series) + 1} results" in answer, answer
    assert result.grounding.removed == 0, result.trace


def test_a_follow_up_resolves_against_the_previous_asks_concept(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[15]
    _post(seeded_sandbox, patient, "2823-3", "mmol/L", [(1, 5.4), (2, 3.1), (3, 4.6)])
    first = chat_service.turn(patient.id, "what's my latest potassium?")
    assert "5.4" in first.answer, first.answer
    again = chat_service.turn(patient.id, "and the one before that?", thread_id=first.thread_id)
    assert "3.1 mmol/L" in again.answer, again.answer
    further = chat_service.turn(patient.id, "and the one before that?", thread_id=first.thread_id)
    assert "4.6 mmol/L" in further.answer and "3.1" not in further.answer, further.answer
    trend = chat_service.turn(patient.id, "is it going up or down?", thread_id=first.thread_id)
    assert "going up" in trend.answer and "to 5.4 mmol/L" in trend.answer, trend.answer


def test_a_one_letter_lab_name_passes_the_verifier(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[16]
    _post(seeded_sandbox, patient, "K", "mmol/L", [(1, 4.7)])
    result = chat_service.turn(patient.id, "what's my K")
    assert "4.7 mmol/L" in result.answer, result.answer
    assert result.grounding.removed == 0, result.trace
