"""'Is that good or bad?' after a result: the latest result and what such a result means, not a shrug."""

from __future__ import annotations

import pytest

from agent.service import ChatService
from tests.fixtures.agent import SeededSandbox

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("judgement", ["is that good or bad?", "is that normal?"])
def test_a_judgement_follow_up_answers_with_the_result_and_guidance_about_it(
    chat_service: ChatService, seeded_sandbox: SeededSandbox, judgement: str
) -> None:
    patient = next(
        p for p in seeded_sandbox.cohort.patients if "diabetes" in p.problems and p.coding == "loinc"
    )
    first = chat_service.turn(patient.id, "what was my last a1c?")
    assert any(c.kind == "fhir" and c.id.startswith("Observation/") for c in first.citations)
    second = chat_service.turn(patient.id, judgement, first.thread_id)
    assert second.escalation is None, second.answer  # was: "I'm not sure I understood" and a queue item
    cited = {c.id.split("-")[0] + "-" + c.id.split("-")[1] for c in second.citations if c.kind == "knowledge"}
    assert any(c.startswith("a1c-test") for c in cited), [c.id for c in second.citations]
    assert any("A1c" in c.title or "A1c" in c.values for c in second.citations if c.kind == "fhir")
