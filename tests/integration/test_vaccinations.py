"""Vaccination questions through whole offline turns on the seeded cohort (CVX-coded Immunizations)."""

from __future__ import annotations

import httpx
import pytest

from agent.service import ChatService
from tests.fixtures.agent import SeededSandbox

pytestmark = pytest.mark.integration

FLU_CVX = {"88", "135", "140", "141", "150", "153", "155", "158", "161", "166", "168", "171", "185", "186"}


def _vaccinations(sandbox: SeededSandbox, patient_id: str) -> list[dict[str, object]]:
    bundle = httpx.get(f"{sandbox.url}/Immunization", params={"patient": patient_id}).json()
    return [e["resource"] for e in bundle.get("entry", [])]


def _flu_dates(sandbox: SeededSandbox, patient_id: str) -> list[str]:
    return sorted(
        (str(r["occurrenceDateTime"])[:10] for r in _vaccinations(sandbox, patient_id)
         if r["vaccineCode"]["coding"][0]["code"] in FLU_CVX),  # type: ignore[index]
        reverse=True,
    )  # fmt: skip


def test_the_last_flu_shot_is_read_from_the_record_with_its_date(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = next(p for p in seeded_sandbox.cohort.patients if _flu_dates(seeded_sandbox, p.id))
    latest = _flu_dates(seeded_sandbox, patient.id)[0]
    result = chat_service.turn(patient.id, "when was my last flu shot?")
    cited = [c for c in result.citations if c.kind == "fhir"]
    assert cited and all(c.id.startswith("Immunization/") for c in cited), [c.id for c in cited]
    assert f"given {latest}" in cited[0].values
    assert result.escalation is None
    assert not any(t.name == "upcoming_appointments" for t in result.tools)


def test_a_vaccine_missing_from_the_record_is_said_and_sent_to_the_care_team(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = next(p for p in seeded_sandbox.cohort.patients if not _vaccinations(seeded_sandbox, p.id))
    result = chat_service.turn(patient.id, "did I get my covid booster?")
    assert "couldn't find that vaccine in your record" in result.answer
    assert not [c for c in result.citations if c.kind == "fhir"]
    assert result.escalation is not None and result.escalation.kind == "clinical_question"


def test_the_whole_history_lists_only_vaccinations(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = next(p for p in seeded_sandbox.cohort.patients if len(_vaccinations(seeded_sandbox, p.id)) >= 2)
    result = chat_service.turn(patient.id, "what vaccines have I had?")
    cited = {c.id for c in result.citations if c.kind == "fhir"}
    assert cited == {f"Immunization/{r['id']}" for r in _vaccinations(seeded_sandbox, patient.id)}


def test_having_the_disease_is_not_a_question_about_the_vaccine(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[0]
    result = chat_service.turn(patient.id, "I think I have shingles, what should I do?")
    assert not any(t.name == "immunizations" for t in result.tools)
