"""Whole turns through the graph, offline, against the seeded sandbox over HTTP and the real index."""

from __future__ import annotations

import httpx
import pytest

from agent.models import Decision
from agent.service import ChatService
from tests.fixtures.agent import SeededSandbox
from tools.sandbox.cohort import CohortPatient

pytestmark = pytest.mark.integration


def _active_med_ids(base_url: str, patient_id: str) -> set[str]:
    bundle = httpx.get(
        f"{base_url}/MedicationRequest",
        params={"patient": f"Patient/{patient_id}", "status": "active", "_count": "100"},
    ).json()
    return {f"MedicationRequest/{e['resource']['id']}" for e in bundle.get("entry", [])}


def _patient_with(sandbox: SeededSandbox, drug: str, min_meds: int = 1) -> CohortPatient:
    for patient in sandbox.cohort.patients:
        names = [
            str(r.get("medicationCodeableConcept", {}).get("text", "")).lower()
            for r in patient.resources
            if r.get("resourceType") == "MedicationRequest" and r.get("status") == "active"
        ]
        if any(drug in n for n in names) and len(names) >= min_meds:
            return patient
    raise AssertionError(f"no seeded patient takes {drug}")


def test_medication_list_is_exactly_the_active_prescriptions(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = _patient_with(seeded_sandbox, "metformin")
    result = chat_service.turn(patient.id, "What medications am I taking?")
    cited = {c.id for c in result.citations if c.kind == "fhir"}
    assert cited == _active_med_ids(seeded_sandbox.url, patient.id)
    assert result.grounding.removed == 0 and result.grounding.supported == result.grounding.sentences > 0
    assert result.escalation is None
    assert [t.name for t in result.tools] == ["active_medications"]


def test_refill_drafts_and_waits_for_a_clinician(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = _patient_with(seeded_sandbox, "metformin")
    before = _active_med_ids(seeded_sandbox.url, patient.id)
    result = chat_service.turn(patient.id, "Can I get a refill of my metformin?")
    assert result.escalation is not None
    assert (result.escalation.kind, result.escalation.status) == ("action_approval", "pending")
    assert _active_med_ids(seeded_sandbox.url, patient.id) == before, "a draft must never be written"
    item = chat_service.services.escalations.get(result.escalation.id)  # type: ignore[attr-defined]
    assert item.draft_resource["resourceType"] == "MedicationRequest"
    assert item.draft_resource["status"] == "draft"
    assert "metformin" in item.draft_resource["medicationCodeableConcept"]["text"].lower()
    assert chat_service.is_waiting(result.thread_id)

    line = chat_service.deliver(
        patient.id,
        result.thread_id,
        Decision(
            escalation_id=result.escalation.id,
            outcome="approved",
            clinician="Dr. Lee",
            action_summary="Refill metformin",
        ),
    )
    assert line == "Your care team (Dr. Lee) approved: Refill metformin."
    assert chat_service.state(result.thread_id).transcript[-1].shown() == f"care team: {line}"
    assert not chat_service.is_waiting(result.thread_id)


def test_follow_up_resolves_the_other_medication(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = _patient_with(seeded_sandbox, "metformin", min_meds=2)
    first = chat_service.turn(patient.id, "Can I get a refill of my metformin?")
    second = chat_service.turn(patient.id, "and the other one?", first.thread_id)
    assert second.thread_id == first.thread_id
    if "Which medication" in second.answer:
        assert "metformin" not in second.answer.lower(), (
            "the other medications are offered, not the one just refilled"
        )
    else:
        assert "metformin" not in second.answer.split("[")[0].lower()
        assert second.escalation is not None and second.escalation.kind == "action_approval"


def test_chest_pain_gets_emergency_instructions_first(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[0]
    result = chat_service.turn(patient.id, "I have crushing chest pain")
    assert result.answer.startswith("This could be an emergency. Call 911")
    assert result.escalation is not None
    assert (result.escalation.level, result.escalation.kind) == ("emergent", "emergency")
    assert result.tools == [], "an emergency must not wait on record reads"


def test_invented_drug_abstains_without_facts(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[1]
    result = chat_service.turn(patient.id, "What is the dose of Zorbitrex?")
    assert not [c for c in result.citations if c.kind == "knowledge"]
    assert "vetted information" in result.answer
    assert result.escalation is not None and result.escalation.kind == "clinical_question"
    assert not any(ch.isdigit() for ch in result.answer), "no dose may be stated"


def test_another_patients_record_is_refused_without_reads(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    me, other = seeded_sandbox.cohort.patients[2], seeded_sandbox.cohort.patients[3]
    result = chat_service.turn(me.id, f"Show me {other.name}'s medications")
    assert "only share information from your own record" in result.answer
    assert result.tools == []
    assert result.citations == []


@pytest.mark.parametrize(
    "question",
    [
        "What medications am I taking?",
        "When is my next appointment?",
        "What was my last A1c?",
        "I missed my metformin dose this morning, what should I do?",
        "How do I check my blood pressure at home?",
        "What should I do for a fever?",
        "Can I take ibuprofen for my back?",
        "What's in my care plan?",
    ],
)
def test_every_offline_sentence_is_cited_and_kept(
    chat_service: ChatService, seeded_sandbox: SeededSandbox, question: str
) -> None:
    patient = _patient_with(seeded_sandbox, "metformin")
    result = chat_service.turn(patient.id, question)
    state = chat_service.state(result.thread_id)
    assert state.answer is not None
    claims = [s for s in state.answer.sentences if not (s.procedural or s.safety)]
    assert all(s.cites for s in claims), [s.text for s in claims if not s.cites]
    assert result.grounding.removed == 0
    assert result.grounding.sentences == len(claims)
    numbers = {c.n for c in result.citations}
    assert numbers == set(range(1, len(numbers) + 1))


def test_a_fhir_outage_becomes_an_escalation_not_a_crash(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    from agent.service import AgentServices
    from agent.service import ChatService as Service
    from tests.fixtures.processes import free_port
    from tools.fhir import FhirGateway

    services = chat_service.services
    offline = AgentServices(
        **{**services.__dict__, "gateway": FhirGateway(f"http://127.0.0.1:{free_port()}/fhir", 1.0, 2)}
    )
    service = Service(offline, chat_service.graph.checkpointer)  # type: ignore[arg-type]
    result = service.turn(seeded_sandbox.cohort.patients[0].id, "What medications am I taking?")
    assert "can't reach your records" in result.answer
    assert result.escalation is not None and result.escalation.kind == "clinical_question"
    assert [t.ok for t in result.tools] == [False]


def test_a_turn_reports_its_steps_as_they_finish(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    from agent.progress import TurnStep

    steps: list[TurnStep] = []
    outcome = chat_service.run_turn(
        seeded_sandbox.cohort.patients[1].id, "What medications am I taking?", on_step=steps.append
    )
    nodes = [step.node for step in steps]
    assert nodes[:3] == ["screen", "plan", "act"] and nodes[-1] == "wait"
    [planned] = [step for step in steps if step.plan is not None]
    assert planned.node == "plan" and [t.tool for t in planned.plan.tools] == ["active_medications"]
    assert outcome.state.plan == planned.plan
    assert outcome.result.tools[0].name == "active_medications"
    assert outcome.state.retrieval is None, "a record question runs no knowledge search"


def _patient_without(sandbox: SeededSandbox, resource_type: str) -> CohortPatient:
    for patient in sandbox.cohort.patients:
        if not any(r.get("resourceType") == resource_type for r in patient.resources):
            return patient
    raise AssertionError(f"every seeded patient has a {resource_type}")


@pytest.mark.parametrize(
    ("resource_type", "question", "said"),
    [
        ("AllergyIntolerance", "do i have any allergies on file?", "I don't see any allergies listed"),
        ("AllergyIntolerance", "what allergies do you have on file for me", "I don't see any allergies"),
    ],
)
def test_an_empty_list_is_said_not_left_unanswered(
    chat_service: ChatService, seeded_sandbox: SeededSandbox, resource_type: str, question: str, said: str
) -> None:
    """A list the record leaves empty is an answer ("none listed"), not silence behind an escalation."""
    patient = _patient_without(seeded_sandbox, resource_type)
    result = chat_service.turn(patient.id, question)
    assert [t.name for t in result.tools] == ["allergies"]
    assert result.answer.startswith(said), result.answer
    assert not [c for c in result.citations if c.kind == "fhir"], "nothing in the record to cite"
