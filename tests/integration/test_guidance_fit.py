"""Guidance fitted to the patient's own conditions, through whole offline turns on the seeded cohort."""

from __future__ import annotations

import pytest

from agent.service import ChatService
from tests.fixtures.agent import SeededSandbox
from tools.sandbox.cohort.model import CohortPatient

pytestmark = pytest.mark.integration


def _patient(sandbox: SeededSandbox, has: str, lacks: str = "") -> CohortPatient:
    return next(p for p in sandbox.cohort.patients if has in p.problems and lacks not in p.problems)


def test_the_kidney_patient_asking_about_ibuprofen_hears_the_kidney_rule(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = _patient(seeded_sandbox, "ckd")
    result = chat_service.turn(patient.id, "can I take ibuprofen for my knee?")
    kidney = [c for c in result.citations if c.kind == "knowledge" and c.id.startswith("ckd-and-nsaids")]
    assert kidney, [c.id for c in result.citations]
    assert any("kidney disease" in c.quote.lower() for c in kidney), [c.quote for c in kidney]


def test_the_asthma_patient_who_wheezes_is_not_quoted_the_copd_plan(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = _patient(seeded_sandbox, "asthma", lacks="copd")
    result = chat_service.turn(patient.id, "I've been wheezing more at night, what should I do?")
    ids = [c.id for c in result.citations if c.kind == "knowledge"]
    assert ids and not any(i.startswith("copd-") for i in ids), ids
    assert any(i.startswith("asthma-") for i in ids), ids


def test_the_copd_patient_who_wheezes_still_gets_the_copd_plan(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = _patient(seeded_sandbox, "copd", lacks="asthma")
    result = chat_service.turn(
        patient.id, "I've been wheezing more and coughing up more mucus, what should I do?"
    )
    ids = [c.id for c in result.citations if c.kind == "knowledge"]
    assert any(i.startswith("copd-") for i in ids), ids
    assert not any(i.startswith("asthma-") for i in ids), ids
