"""Issue 12's most harmful answers, as a patient would ask them, against the seeded sandbox.

General questions about people like the patient are guidance; someone else's record is refused without
the patient's own data; every ask of a multi-part message is drafted or escalated; order-type requests
are never dropped; age and date of birth come from the Patient resource; an unknown test name is
said to be unrecognised, never "not found".
"""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from agent.service import ChatService
from tests.fixtures.agent import SeededSandbox
from tools.clock import Clock
from tools.sandbox.cohort import CohortPatient

pytestmark = pytest.mark.integration

REFUSAL = "I can only share information from your own record"
ACTION_SENT = "I've sent this request to your care team"


def _active_meds(patient: CohortPatient) -> list[str]:
    return [
        str(r.get("medicationCodeableConcept", {}).get("text", "")).lower()
        for r in patient.resources
        if r.get("resourceType") == "MedicationRequest" and r.get("status") == "active"
    ]


def _patient(sandbox: SeededSandbox, *drugs: str, without: str = "") -> CohortPatient:
    for patient in sandbox.cohort.patients:
        meds = _active_meds(patient)
        has_all = all(any(d in m for m in meds) for d in drugs)
        if has_all and not (without and any(without in m for m in meds)):
            return patient
    raise AssertionError(f"no seeded patient takes {drugs} without {without!r}")


def _birth_date(patient: CohortPatient) -> date:
    resource = next(r for r in patient.resources if r.get("resourceType") == "Patient")
    return date.fromisoformat(str(resource["birthDate"]))


def _has_result(patient: CohortPatient, *names: str) -> bool:
    """Whether any Observation of the patient is named (text or code) one of `names`."""
    for resource in patient.resources:
        if resource.get("resourceType") != "Observation":
            continue
        code = resource.get("code", {})
        said = [str(code.get("text", ""))] + [str(c.get("code", "")) for c in code.get("coding", [])]
        said += [str(c.get("display", "")) for c in code.get("coding", [])]
        if any(name in s.lower() for s in said for name in names):
            return True
    return False


def _pending_drafts(chat_service: ChatService, patient_id: str, thread_id: str) -> list[dict[str, object]]:
    queue = chat_service.services.escalations
    listed = queue.list(patient_id=patient_id)  # type: ignore[attr-defined]
    items = [queue.get(i.id) for i in listed]  # type: ignore[attr-defined]
    return [i.draft_resource for i in items if i.thread_id == thread_id and i.draft_resource]


def test_guidance_about_people_like_the_patient_is_answered_from_the_article(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[0]
    result = chat_service.turn(patient.id, "What are safe painkillers for diabetic patients over 60?")
    cited = [c.id for c in result.citations if c.kind == "knowledge"]
    assert any(c.startswith("pain-relief-with-diabetes") for c in cited), (result.answer, cited)
    assert "vetted information" not in result.answer
    assert REFUSAL not in result.answer
    assert not [c for c in result.citations if c.kind == "fhir"], "no record facts for a general question"


@pytest.mark.parametrize(
    "message",
    [
        "what medications does my wife Uma take?",
        "when is my son's appointment",
        "what was my husband's last potassium",
    ],
)
def test_someone_elses_request_is_refused_without_the_patients_data(
    chat_service: ChatService, seeded_sandbox: SeededSandbox, message: str
) -> None:
    patient = _patient(seeded_sandbox, "metformin")
    result = chat_service.turn(patient.id, message)
    assert REFUSAL in result.answer
    assert not [c for c in result.citations if c.kind == "fhir"]
    assert result.tools == [], "nothing of the patient's record is read for someone else"


def test_both_refills_of_a_two_part_message_are_drafted(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = _patient(seeded_sandbox, "furosemide", "insulin")
    result = chat_service.turn(patient.id, "refill furosemide and also my insulin")
    drafts = _pending_drafts(chat_service, patient.id, result.thread_id)
    texts = [str(d.get("medicationCodeableConcept", {})).lower() for d in drafts]  # type: ignore[union-attr]
    assert any("furosemide" in t for t in texts), texts
    assert any("insulin" in t for t in texts), texts
    assert ACTION_SENT in result.answer


def test_a_refill_of_a_medicine_not_on_file_is_escalated_with_the_patients_words(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = _patient(seeded_sandbox, "insulin", without="furosemide")
    result = chat_service.turn(patient.id, "refill furosemide and also my insulin")
    drafts = _pending_drafts(chat_service, patient.id, result.thread_id)
    kinds = sorted(str(d["resourceType"]) for d in drafts)
    assert kinds == ["Communication", "MedicationRequest"], kinds
    message = next(d for d in drafts if d["resourceType"] == "Communication")
    assert "furosemide" in str(message).lower()
    refill = next(d for d in drafts if d["resourceType"] == "MedicationRequest")
    assert "insulin" in str(refill).lower()


@pytest.mark.parametrize(
    ("message", "resource_type", "words"),
    [
        ("I need a new A1c test ordered", "ServiceRequest", "a1c"),
        ("please record my BP 118/77", "Observation", "118"),
        ("my potassium is low, order me potassium", "Communication", "order me potassium"),
    ],
)
def test_order_type_requests_become_a_draft_or_an_action_escalation(
    chat_service: ChatService, seeded_sandbox: SeededSandbox, message: str, resource_type: str, words: str
) -> None:
    patient = seeded_sandbox.cohort.patients[4]
    result = chat_service.turn(patient.id, message)
    assert result.escalation is not None and result.escalation.kind == "action_approval", result.answer
    drafts = _pending_drafts(chat_service, patient.id, result.thread_id)
    assert [d["resourceType"] for d in drafts] == [resource_type]
    assert words in str(drafts[0]).lower()
    assert ACTION_SENT in result.answer


def test_age_is_computed_from_the_birth_date_on_the_clock(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[5]
    born, today = _birth_date(patient), Clock("UTC").today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    result = chat_service.turn(patient.id, "how old am I?")
    assert f"You are {age} years old" in result.answer, result.answer
    assert f"Patient/{patient.id}" in [c.id for c in result.citations if c.kind == "fhir"]
    assert result.grounding.removed == 0


def test_date_of_birth_is_read_from_the_patient_resource(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[6]
    born = _birth_date(patient)
    result = chat_service.turn(patient.id, "what's my date of birth")
    assert f"{born:%B} {born.day}, {born.year}" in result.answer, result.answer
    assert f"Patient/{patient.id}" in [c.id for c in result.citations if c.kind == "fhir"]


def test_an_unknown_test_name_is_not_recognised_rather_than_not_found(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[7]
    result = chat_service.turn(patient.id, "what's my zorblex level")
    assert "don't recognise" in result.answer, result.answer
    assert "couldn't find" not in result.answer
    assert not [c for c in result.citations if c.kind == "fhir"], "no other test's result is offered"


def test_a_lab_the_record_codes_locally_is_found_by_its_concept(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = next(p for p in seeded_sandbox.cohort.patients if not _has_result(p, "magnesium", "mg"))
    local = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "urn:example:local-lab", "code": "MG"}], "text": "MG"},
        "subject": {"reference": f"Patient/{patient.id}"},
        "effectiveDateTime": "2026-11-30T08:00:00Z",
        "valueQuantity": {"value": 1.9, "unit": "mg/dL"},
    }
    created = httpx.post(f"{seeded_sandbox.url}/Observation", json=local)
    assert created.status_code in (200, 201), created.text
    result = chat_service.turn(patient.id, "what was my magnesium level?")
    assert "1.9" in result.answer, result.answer
    assert "couldn't find" not in result.answer


def test_not_in_the_record_is_said_only_after_the_whole_record_was_read(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = seeded_sandbox.cohort.patients[-2]
    names = {
        str(r.get("code", {}).get("text", "")).lower()
        for r in patient.resources
        if r.get("resourceType") == "Observation"
    }
    assert not any("vitamin d" in n or "25-hydroxy" in n for n in names), "pick a patient without the test"
    result = chat_service.turn(patient.id, "what is my vitamin d level")
    assert "couldn't find that result in your record" in result.answer, result.answer
    reads = [t for t in result.tools if t.name == "observations"]
    assert reads and not reads[-1].args.get("code"), "the last read is the whole record, not one code"
    assert not [c for c in result.citations if c.kind == "fhir"], "no other test's result is offered"


def _month_ahead(days: int) -> tuple[str, int]:
    """The name and number of the month `days` from today (the cohort's slots cover 1-30 days ahead)."""
    from datetime import timedelta

    target = date.today() + timedelta(days=days)
    return target.strftime("%B").lower(), target.month


def test_a_booking_honours_the_month_the_patient_asked_for(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    month, number = _month_ahead(27)
    patient = _patient(seeded_sandbox)
    result = chat_service.turn(patient.id, f"book me with endocrinology sometime in {month}")
    drafts = _pending_drafts(chat_service, patient.id, result.thread_id)
    [booking] = [d for d in drafts if d.get("resourceType") == "Appointment"]
    assert date.fromisoformat(str(booking["start"])[:10]).month == number, booking["start"]
    assert ACTION_SENT in result.answer


def test_a_booking_in_a_month_with_no_open_times_says_so_and_reaches_the_team(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    month, _ = _month_ahead(120)
    patient = _patient(seeded_sandbox)
    result = chat_service.turn(patient.id, f"can you book me with endocrinology in {month}")
    drafts = _pending_drafts(chat_service, patient.id, result.thread_id)
    assert not [d for d in drafts if d.get("resourceType") == "Appointment"], drafts
    [message] = [d for d in drafts if d.get("resourceType") == "Communication"]
    assert f"in {month}" in str(message).lower()
    assert "couldn't find open appointment times for that in the time you asked for" in result.answer


def test_a_number_shaped_like_a_blood_pressure_reads_the_blood_pressures(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    """'is 140/90 too high for me?' names no test: the pair of numbers does, not the newest results."""
    patient = next(
        p
        for p in seeded_sandbox.cohort.patients
        if any("85354-9" in str(r.get("code")) for r in p.resources if r.get("resourceType") == "Observation")
    )
    result = chat_service.turn(patient.id, "is 140/90 too high for me")
    cited = [c for c in result.citations if c.kind == "fhir"]
    assert cited and all(c.id.startswith("Observation/") for c in cited), result.citations
    assert "blood pressure" in result.answer.lower()
    assert "weight" not in result.answer.lower() and "a1c" not in result.answer.lower(), result.answer


@pytest.mark.parametrize(
    "message", ["do I have any refills left on my inhaler", "how many refills on my inhalers?"]
)
def test_a_medicine_named_by_its_form_is_found_with_its_refills(
    chat_service: ChatService, seeded_sandbox: SeededSandbox, message: str
) -> None:
    patient = _patient(seeded_sandbox, "inhaler")
    inhalers = [m for m in _active_meds(patient) if "inhaler" in m]
    result = chat_service.turn(patient.id, message)
    assert result.answer.strip(), "never an empty answer"
    for name in inhalers:
        assert name.split()[0] in result.answer.lower(), (name, result.answer)
    assert "refill" in result.answer.lower()
    cited = [c.id for c in result.citations if c.kind == "fhir"]
    assert cited and all(c.startswith("MedicationRequest/") for c in cited)


def test_missed_dose_advice_is_for_the_blood_thinner_the_patient_takes(
    chat_service: ChatService, seeded_sandbox: SeededSandbox
) -> None:
    patient = _patient(seeded_sandbox, "warfarin", without="apixaban")
    result = chat_service.turn(patient.id, "I forgot my blood thinner last night what do I do")
    cited = [c.id for c in result.citations if c.kind == "knowledge"]
    assert cited and result.answer.strip(), (result.answer, cited)
    assert not any("apixaban" in c for c in cited), (result.answer, cited)
    assert "apixaban" not in result.answer.lower()
