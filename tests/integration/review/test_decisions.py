"""Deciding review items end to end: the sandbox EHR, the patient's thread and the audit log, for real."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carecoord.review.errors import AlreadyDecided, NotAllowed, ReviewError
from carecoord.review.tasks import REVIEW_IDENTIFIER_SYSTEM
from tests.integration.review.conftest import BACKENDS, ReviewWorld
from tools.drafts import DRAFT_IDENTIFIER_SYSTEM

pytestmark = pytest.mark.integration

REFILL = "Can I get a refill of my metformin?"


def _search(world: ReviewWorld, resource_type: str, **params: str) -> list[dict[str, Any]]:
    with world.fhir() as client:
        response = client.get(resource_type, params=params)
    response.raise_for_status()
    return [entry["resource"] for entry in response.json().get("entry", [])]


def _lapse_finish_lease(world: ReviewWorld, item_id: str) -> None:
    """What time does to the finish lease of a session that died: it lapses."""
    from sqlalchemy import update

    from carecoord.review.models import ReviewItem
    from carecoord.review.queue import FINISH_LEASE

    lapsed = datetime.now(UTC) - FINISH_LEASE - timedelta(seconds=1)
    with world.queue.engine.begin() as connection:
        connection.execute(update(ReviewItem).where(ReviewItem.id == item_id).values(finishing_at=lapsed))


def _refill_item(world: ReviewWorld, patient: str) -> tuple[str, str]:
    """Ask for a refill as the patient; returns (item id, thread id)."""
    result = world.chat.turn(patient, REFILL)
    assert result.escalation is not None and result.escalation.kind == "action_approval", result.answer
    assert result.escalation.status == "pending"
    return result.escalation.id, result.thread_id


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_approve_commits_once_completes_the_task_and_tells_the_patient(
    world: ReviewWorld, metformin_patient: str
) -> None:
    item_id, thread = _refill_item(world, metformin_patient)
    detail = world.queue.detail(item_id)
    assert detail.draft is not None and detail.draft.resource["status"] == "draft"
    assert detail.allowed == ["approve", "reject"] and not detail.overdue
    assert detail.transcript[0] == f"patient: {REFILL}"
    [task] = _search(world, "Task", identifier=f"{REVIEW_IDENTIFIER_SYSTEM}|{item_id}")
    assert task["status"] == "requested" and task["for"]["reference"] == f"Patient/{metformin_patient}"
    assert "focus" not in task and task["input"][0]["valueString"] == detail.summary

    outcome = world.service.approve(item_id, "drlee", note="ok to refill")

    identifier = f"{DRAFT_IDENTIFIER_SYSTEM}|{detail.draft.identifier}"
    [written] = _search(world, "MedicationRequest", identifier=identifier)
    assert written["status"] == "active"
    assert outcome.fhir_reference == f"MedicationRequest/{written['id']}"
    assert outcome.status == "approved" and outcome.decided_by == "drlee"
    [task] = _search(world, "Task", identifier=f"{REVIEW_IDENTIFIER_SYSTEM}|{item_id}")
    assert task["status"] == "completed" and task["focus"]["reference"] == outcome.fhir_reference
    # the patient is told the order as written: the clinic's refill policy (0 by default), not the original's
    assert outcome.patient_message is not None
    assert outcome.patient_message.startswith("Your care team (Dr. Lee) approved: Refill metformin")
    assert outcome.patient_message.endswith(" 0 refills).")
    assert detail.summary.startswith("Refill metformin")
    assert world.chat.state(thread).transcript[-1].shown() == f"care team: {outcome.patient_message}"
    assert not world.chat.is_waiting(thread)

    # the refill superseded the original: the patient's list names the drug once
    original = written["priorPrescription"]["reference"]
    assert _search(world, "MedicationRequest", _id=original.split("/")[1])[0]["status"] == "completed"
    active = _search(world, "MedicationRequest", patient=f"Patient/{metformin_patient}", status="active")
    assert sum("metformin" in str(r.get("medicationCodeableConcept", "")).lower() for r in active) == 1
    listed = world.chat.turn(metformin_patient, "What medications am I taking?")
    assert listed.answer.lower().count("metformin") == 1, listed.answer

    with pytest.raises(AlreadyDecided, match="already decided by drlee") as second:
        world.service.approve(item_id, "drkim")
    assert second.value.decided_by == "drlee"
    assert len(_search(world, "MedicationRequest", identifier=identifier)) == 1

    actions = [e.action for e in world.audit.entries(subject=f"review:{item_id}")]
    assert {"escalate", "review.approve", "fhir.commit", "fhir.task", "review.deliver"} <= set(actions)
    assert {e.action for e in world.audit.entries(actor="agent")} >= {"fhir.draft_refill", "answer"}
    assert world.audit.verify().ok


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_two_clinicians_deciding_at_once_exactly_one_wins(world: ReviewWorld, metformin_patient: str) -> None:
    item_id, _ = _refill_item(world, metformin_patient)
    identifier = world.queue.require(item_id).draft_identifier
    barrier = threading.Barrier(2)
    won: list[str] = []
    lost: list[AlreadyDecided] = []

    def decide(user: str) -> None:
        barrier.wait()
        try:
            if user == "drlee":
                world.service.approve(item_id, user)
            else:
                world.service.reject(item_id, user, "needs a visit first")
            won.append(user)
        except AlreadyDecided as exc:
            lost.append(exc)

    threads = [threading.Thread(target=decide, args=(u,)) for u in ("drlee", "drkim")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(won) == 1 and len(lost) == 1
    assert lost[0].decided_by == won[0] and f"already decided by {won[0]}" in str(lost[0])
    item = world.queue.require(item_id)
    assert item.decided_by == won[0] and item.version == 2
    written = _search(world, "MedicationRequest", identifier=f"{DRAFT_IDENTIFIER_SYSTEM}|{identifier}")
    assert len(written) == (1 if won[0] == "drlee" else 0)
    assert world.audit.verify().ok


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_a_crash_between_commit_and_bookkeeping_is_repaired_without_a_duplicate(
    world: ReviewWorld, metformin_patient: str
) -> None:
    from carecoord.review.drafts import approved_resource, stored_draft
    from tools.record import PatientRecord

    item_id, thread = _refill_item(world, metformin_patient)
    item = world.queue.require(item_id)
    identifier = f"{DRAFT_IDENTIFIER_SYSTEM}|{item.draft_identifier}"
    # What an approval that crashed right after its EHR write leaves behind: the claim and the write,
    # but no reference, Task update or patient message recorded.
    assert world.queue.claim(item, "approved", "drlee", final_resource=approved_resource(item, None))
    record = PatientRecord(gateway=world.service.gateway, patient_id=metformin_patient)
    first = record.commit(stored_draft(item, world.queue.require(item_id).final_resource))
    assert first.created
    assert world.queue.require(item_id).completed_at is None
    _lapse_finish_lease(world, item_id)

    with pytest.raises(AlreadyDecided, match="already decided by drlee"):
        world.service.approve(item_id, "drkim")
    outcome = world.service.approve(item_id, "drlee")

    [written] = _search(world, "MedicationRequest", identifier=identifier)
    assert (
        outcome.fhir_reference
        == f"MedicationRequest/{first.resource['id']}"
        == f"MedicationRequest/{written['id']}"
    )
    assert (
        world.chat.state(thread)
        .transcript[-1]
        .shown()
        .startswith("care team: Your care team (Dr. Lee) approved: Refill")
    )
    assert world.queue.require(item_id).completed_at is not None
    with pytest.raises(AlreadyDecided):
        world.service.approve(item_id, "drlee")


def test_a_write_before_the_claim_is_found_again_not_duplicated(
    world: ReviewWorld, metformin_patient: str
) -> None:
    from carecoord.review.drafts import stored_draft
    from tools.record import PatientRecord

    item_id, _ = _refill_item(world, metformin_patient)
    item = world.queue.require(item_id)
    PatientRecord(gateway=world.service.gateway, patient_id=metformin_patient).commit(stored_draft(item))

    outcome = world.service.approve(item_id, "drlee")

    written = _search(
        world, "MedicationRequest", identifier=f"{DRAFT_IDENTIFIER_SYSTEM}|{item.draft_identifier}"
    )
    assert len(written) == 1 and outcome.fhir_reference == f"MedicationRequest/{written[0]['id']}"


def test_interrupted_decisions_are_finished_by_repair(world: ReviewWorld, metformin_patient: str) -> None:
    from carecoord.review.drafts import approved_resource

    item_id, thread = _refill_item(world, metformin_patient)
    item = world.queue.require(item_id)
    assert world.queue.claim(item, "approved", "drkim", final_resource=approved_resource(item, None))
    assert world.service.repair("admin") == [], "the deciding session may still be finishing it"
    _lapse_finish_lease(world, item_id)

    [outcome] = world.service.repair("admin")

    assert outcome.item_id == item_id and outcome.decided_by == "drkim" and outcome.fhir_reference
    assert (
        world.chat.state(thread)
        .transcript[-1]
        .shown()
        .startswith("care team: Your care team (Dr. Kim) approved")
    )
    assert world.service.repair("admin") == []


def test_the_same_decision_is_never_carried_out_twice_at_once(
    world: ReviewWorld, metformin_patient: str
) -> None:
    from carecoord.review.drafts import approved_resource

    item_id, thread = _refill_item(world, metformin_patient)
    item = world.queue.require(item_id)
    # Session A (drlee) decided and is carrying the decision out; session B is drlee again, elsewhere.
    assert world.queue.claim(item, "approved", "drlee", final_resource=approved_resource(item, None))
    with pytest.raises(ReviewError, match="being carried out in another session"):
        world.service.approve(item_id, "drlee")
    assert world.service.repair("admin") == []
    assert not _search(
        world, "MedicationRequest", identifier=f"{DRAFT_IDENTIFIER_SYSTEM}|{item.draft_identifier}"
    )

    _lapse_finish_lease(world, item_id)  # session A died
    outcome = world.service.approve(item_id, "drlee")
    assert outcome.patient_message and outcome.fhir_reference
    assert world.chat.state(thread).transcript[-1].shown() == f"care team: {outcome.patient_message}"
    # A finisher arriving late cannot overwrite what the patient was told.
    world.queue.set_completed(item_id, None)
    assert world.queue.require(item_id).patient_message == outcome.patient_message
    assert world.audit.entries(action="review.deliver", subject=f"review:{item_id}")


def test_reject_needs_a_reason_and_tells_the_patient(world: ReviewWorld, metformin_patient: str) -> None:
    item_id, thread = _refill_item(world, metformin_patient)
    with pytest.raises(ReviewError, match="reason is required"):
        world.service.reject(item_id, "drlee", "  ")
    assert world.queue.require(item_id).status == "pending"

    outcome = world.service.reject(item_id, "drlee", "Your A1c is due first; please book a lab visit.")

    assert outcome.status == "rejected" and outcome.fhir_reference is None
    assert outcome.patient_message is not None
    assert "did not approve" in outcome.patient_message and "book a lab visit" in outcome.patient_message
    assert world.chat.state(thread).transcript[-1].shown() == f"care team: {outcome.patient_message}"
    [task] = _search(world, "Task", identifier=f"{REVIEW_IDENTIFIER_SYSTEM}|{item_id}")
    assert task["status"] == "rejected" and "lab visit" in task["statusReason"]["text"]


def test_an_edited_draft_is_written_as_edited_but_never_for_another_patient(
    world: ReviewWorld, metformin_patient: str
) -> None:
    item_id, thread = _refill_item(world, metformin_patient)
    draft = dict(world.queue.require(item_id).draft_resource or {})
    moved = {**draft, "subject": {"reference": "Patient/someone-else"}}
    with pytest.raises(ReviewError, match="may not change `subject`"):
        world.service.approve(item_id, "drlee", edited_resource=moved)
    broken = {**draft, "intent": "not-an-intent", "dispenseRequest": {"numberOfRepeatsAllowed": "many"}}
    with pytest.raises(ReviewError, match="not valid FHIR"):
        world.service.approve(item_id, "drlee", edited_resource=broken)
    assert world.queue.require(item_id).status == "pending"

    edited = {**draft, "dispenseRequest": {"numberOfRepeatsAllowed": 0, "quantity": {"value": 30}}}
    outcome = world.service.approve(item_id, "drlee", edited_resource=edited)

    with world.fhir() as client:
        written = client.get(str(outcome.fhir_reference)).json()
    assert written["dispenseRequest"]["quantity"]["value"] == 30 and written["status"] == "active"
    assert outcome.patient_message is not None and outcome.patient_message.endswith(
        "(adjusted by your care team)."
    )


def test_a_question_is_answered_as_the_care_team(world: ReviewWorld, metformin_patient: str) -> None:
    result = world.chat.turn(metformin_patient, "I've had a headache for two days")
    assert result.escalation is not None and result.escalation.kind in ("clinical_question", "low_confidence")
    item_id = result.escalation.id
    with pytest.raises(ReviewError, match="takes answer"):
        world.service.approve(item_id, "drlee")

    outcome = world.service.answer(item_id, "drkim", "Take acetaminophen and call us if it gets worse.")

    line = (
        "care team: Message from your care team (Dr. Kim): Take acetaminophen and call us if it gets worse."
    )
    assert world.chat.state(result.thread_id).transcript[-1].shown() == line
    assert outcome.status == "answered" and world.queue.detail(item_id).reply is not None
    [task] = _search(world, "Task", identifier=f"{REVIEW_IDENTIFIER_SYSTEM}|{item_id}")
    assert task["status"] == "completed" and task["output"][0]["valueString"].startswith("Take acetaminophen")


def test_an_emergency_never_waits_and_records_who_acknowledged_it(
    world: ReviewWorld, metformin_patient: str
) -> None:
    result = world.chat.turn(metformin_patient, "I have crushing chest pain right now")
    assert result.escalation is not None and result.escalation.kind == "emergency"
    assert result.escalation.status == "notifying" and "911" in result.answer  # nobody notified yet
    item_id = result.escalation.id
    [task] = _search(world, "Task", identifier=f"{REVIEW_IDENTIFIER_SYSTEM}|{item_id}")
    assert task["priority"] == "stat"
    assert world.queue.detail(item_id).allowed == ["acknowledge"]

    outcome = world.service.acknowledge(item_id, "drlee")

    detail = world.queue.detail(item_id)
    assert detail.acknowledged_by == "drlee" and detail.acknowledged_at is not None
    assert outcome.status == "notified" and outcome.decided_by == "drlee"
    with pytest.raises(AlreadyDecided, match="already decided by drlee"):
        world.service.acknowledge(item_id, "drkim")


@pytest.mark.parametrize("user", ["reader", "nobody"])
def test_a_user_without_a_deciding_role_cannot_act(
    world: ReviewWorld, metformin_patient: str, user: str
) -> None:
    item_id, _ = _refill_item(world, metformin_patient)
    attempts: list[Callable[[], object]] = [
        lambda: world.service.approve(item_id, user),
        lambda: world.service.reject(item_id, user, "no"),
        lambda: world.service.acknowledge(item_id, user),
    ]
    for decide in attempts:
        with pytest.raises(NotAllowed):
            decide()
    item = world.queue.require(item_id)
    assert item.status == "pending" and item.decided_by is None and item.version == 1
    assert len(world.audit.entries(actor=user, action="review.denied")) == 3


def test_overdue_items_are_reported_and_can_be_expired(world: ReviewWorld, metformin_patient: str) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from carecoord.review.models import ReviewItem

    item_id, _ = _refill_item(world, metformin_patient)
    with world.queue.engine.begin() as connection:
        connection.execute(
            update(ReviewItem)
            .where(ReviewItem.id == item_id)
            .values(due_at=datetime.now(UTC) - timedelta(hours=1))
        )
    assert [i.id for i in world.queue.overdue()] == [item_id]
    assert world.queue.list(status="pending")[0].overdue

    [outcome] = world.service.expire_overdue()

    assert outcome.status == "expired" and world.queue.overdue() == []
    [task] = _search(world, "Task", identifier=f"{REVIEW_IDENTIFIER_SYSTEM}|{item_id}")
    assert task["status"] == "cancelled"


def test_logins_are_audited(world: ReviewWorld) -> None:
    assert world.service.login("drlee", "correct horse") is not None
    assert world.service.login("drlee", "wrong horse") is None
    actions = [(e.actor, e.action) for e in world.audit.entries(limit=2)]
    assert actions == [("drlee", "login_failed"), ("drlee", "login")]
