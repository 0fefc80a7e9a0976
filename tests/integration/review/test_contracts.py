"""Each action kind's approval contract (`carecoord/review/contracts.md`), checked as FHIR state.

Every test runs against our sandbox and against the independent Medplum peer (marker `peer`), so the
semantics are FHIR's, not our server's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from carecoord.review.clinicians import CLINICIAN_SYSTEM
from carecoord.review.contracts import ApprovalConflict
from carecoord.review.errors import AlreadyDecided, ReviewError
from tests.integration.review.approval_world import POLICY_REPEATS, ApprovalWorld, Clinic, approval_world
from tools.drafts import Draft

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sandbox", pytest.param("peer", marks=pytest.mark.peer)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ApprovalWorld]:
    """The review service over the sandbox, or over the Medplum peer."""
    url = request.getfixturevalue("sandbox_url" if request.param == "sandbox" else "medplum_url")
    with approval_world(url, tmp_path) as made:
        yield made


@pytest.fixture
def clinic(world: ApprovalWorld) -> Clinic:
    return world.seed()


def _refill(world: ApprovalWorld, clinic: Clinic, key: str = "k1") -> tuple[Draft, str]:
    record = world.record(clinic)
    [medication] = record.active_medications()
    draft = record.draft_refill(medication, request_key=key)
    return draft, world.file(clinic, draft)


def _active_orders(world: ApprovalWorld, clinic: Clinic) -> list[dict[str, Any]]:
    return world.search("MedicationRequest", patient=f"Patient/{clinic.patient_id}", status="active")


# -- refill ------------------------------------------------------------------------------------
def test_an_approved_refill_supersedes_the_original(world: ApprovalWorld, clinic: Clinic) -> None:
    draft, item_id = _refill(world, clinic)

    outcome = world.service.approve(item_id, "drlee")

    [order] = world.written(draft)
    assert outcome.fhir_reference == f"MedicationRequest/{order['id']}"
    assert order["status"] == "active" and order["intent"] == "order"
    assert order["priorPrescription"]["reference"] == f"MedicationRequest/{clinic.order['id']}"
    assert order["dispenseRequest"]["numberOfRepeatsAllowed"] == POLICY_REPEATS
    assert order["dispenseRequest"]["quantity"]["value"] == 180
    assert "awaiting" not in str(order.get("note", ""))
    assert order["authoredOn"][:10] == datetime.now(UTC).strftime("%Y-%m-%d")
    prescriber = world.read(order["requester"]["reference"])
    assert prescriber["resourceType"] == "Practitioner"
    assert prescriber["identifier"] == [{"system": CLINICIAN_SYSTEM, "value": "drlee"}]
    assert world.read(f"MedicationRequest/{clinic.order['id']}")["status"] == "completed"
    assert [o["id"] for o in _active_orders(world, clinic)] == [order["id"]]
    names = [m.name for m in world.record(clinic).active_medications()]
    assert names == ["metformin 500 mg oral tablet"]
    assert world.told(item_id) == (
        "Your care team (Dr. Lee) approved: Refill metformin 500 mg oral tablet "
        f"(180 tablet, 90 days' supply, {POLICY_REPEATS} refills)."
    )

    # the same clinician's next approval reuses their Practitioner
    _, second_item = _refill(world, world.seed())
    world.service.approve(second_item, "drlee")
    assert len(world.search("Practitioner", identifier=f"{CLINICIAN_SYSTEM}|drlee")) == 1


def test_an_edited_refill_is_written_and_told_as_edited(world: ApprovalWorld, clinic: Clinic) -> None:
    draft, item_id = _refill(world, clinic)
    edited = dict(draft.resource)
    edited["dispenseRequest"] = {
        **draft.resource["dispenseRequest"],
        "quantity": {"value": 60, "unit": "tablet"},
        "expectedSupplyDuration": {
            "value": 30,
            "unit": "days",
            "system": "http://unitsofmeasure.org",
            "code": "d",
        },
        "numberOfRepeatsAllowed": 0,
    }

    outcome = world.service.approve(item_id, "drkim", edited_resource=edited)

    [order] = world.written(draft)
    assert order["dispenseRequest"]["quantity"]["value"] == 60
    assert order["dispenseRequest"]["expectedSupplyDuration"]["value"] == 30
    assert order["dispenseRequest"]["numberOfRepeatsAllowed"] == 0
    assert outcome.patient_message == (
        "Your care team (Dr. Kim) approved: Refill metformin 500 mg oral tablet "
        "(60 tablet, 30 days' supply, 0 refills) (adjusted by your care team)."
    )
    assert "180" not in str(outcome.patient_message)
    assert len(_active_orders(world, clinic)) == 1


def test_a_rejected_refill_writes_nothing(world: ApprovalWorld, clinic: Clinic) -> None:
    draft, item_id = _refill(world, clinic)

    outcome = world.service.reject(item_id, "drlee", "Your A1c is due first.")

    assert outcome.status == "rejected" and outcome.fhir_reference is None
    assert world.written(draft) == []
    assert [o["id"] for o in _active_orders(world, clinic)] == [clinic.order["id"]]
    assert "A1c is due first" in str(world.told(item_id))


def test_a_refill_retried_after_a_crash_between_steps_writes_once(
    world: ApprovalWorld, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft, item_id = _refill(world, clinic)
    queue = world.queue
    real = queue.set_committed

    def crash(item: str, reference: str) -> None:
        raise RuntimeError("the process died after the EHR write")

    monkeypatch.setattr(queue, "set_committed", crash)
    with pytest.raises(RuntimeError, match="process died"):
        world.service.approve(item_id, "drlee")
    monkeypatch.setattr(queue, "set_committed", real)
    assert queue.require(item_id).fhir_reference is None and len(world.written(draft)) == 1

    outcome = world.service.approve(item_id, "drlee")

    [order] = world.written(draft)
    assert outcome.fhir_reference == f"MedicationRequest/{order['id']}"
    assert [o["id"] for o in _active_orders(world, clinic)] == [order["id"]]
    original = world.read(f"MedicationRequest/{clinic.order['id']}")
    assert original["status"] == "completed"
    assert outcome.patient_message is not None and "2 refills" in outcome.patient_message


def test_two_racing_refills_of_one_order_leave_one_active_order(world: ApprovalWorld, clinic: Clinic) -> None:
    first_draft, first = _refill(world, clinic, key="asked-monday")
    second_draft, second = _refill(world, clinic, key="asked-tuesday")
    results = _race(world, [(first, "drlee"), (second, "drkim")])

    assert sorted(type(r).__name__ for r in results.values()) == ["ApprovalConflict", "DecisionOutcome"]
    assert "no longer active" in str(next(r for r in results.values() if isinstance(r, ApprovalConflict)))
    [orders] = [
        world.written(d) for d, i in ((first_draft, first), (second_draft, second)) if not _lost(results, i)
    ]
    assert len(orders) == 1 and len(_active_orders(world, clinic)) == 1
    loser = next(i for i in (first, second) if _lost(results, i))
    assert world.queue.require(loser).status == "pending"
    assert world.read(f"MedicationRequest/{clinic.order['id']}")["status"] == "completed"


# -- booking, cancellation, reschedule ---------------------------------------------------------
def _booking(world: ApprovalWorld, clinic: Clinic, slot_ref: str, key: str = "k1") -> tuple[Draft, str]:
    draft = world.record(clinic).draft_booking(world.slot_view(clinic, slot_ref), "check-up", key)
    return draft, world.file(clinic, draft)


def test_an_approved_booking_takes_the_slot(world: ApprovalWorld, clinic: Clinic) -> None:
    slot_ref = clinic.free_slots[0]
    draft, item_id = _booking(world, clinic, slot_ref)

    outcome = world.service.approve(item_id, "drlee")

    [visit] = world.written(draft)
    assert outcome.fhir_reference == f"Appointment/{visit['id']}"
    assert visit["status"] == "booked" and visit["slot"] == [{"reference": slot_ref}]
    actors = {p["actor"]["reference"]: p["status"] for p in visit["participant"]}
    assert actors == {f"Patient/{clinic.patient_id}": "accepted", clinic.practitioner: "accepted"}
    assert world.read(slot_ref)["status"] == "busy"
    assert str(world.told(item_id)).startswith("Your care team (Dr. Lee) approved: Book Cardiology")


def test_two_approvals_never_book_one_slot(world: ApprovalWorld, clinic: Clinic) -> None:
    other = world.seed()
    slot_ref = clinic.free_slots[0]
    first_draft, first = _booking(world, clinic, slot_ref)
    second_draft = world.record(other).draft_booking(world.slot_view(clinic, slot_ref), "", "k2")
    second = world.file(other, second_draft)

    results = _race(world, [(first, "drlee"), (second, "drkim")])

    # a server that does not roll back a failed transaction (the in-memory peer) keeps the loser's
    # Appointment: the loser retracts it (entered-in-error, without the draft identifier)
    statuses = sorted(v["status"] for v in world.search("Appointment", slot=slot_ref))
    assert statuses in (["booked"], ["booked", "entered-in-error"])
    assert world.read(slot_ref)["status"] == "busy"
    loser = next(i for i in (first, second) if _lost(results, i))
    assert isinstance(results[loser], ApprovalConflict) and "no longer free" in str(results[loser])
    assert world.queue.require(loser).status == "pending"
    assert world.queue.require(loser).decided_by is None
    assert len(world.written(first_draft)) + len(world.written(second_draft)) == 1


def test_a_booking_retried_after_a_crash_keeps_its_slot_and_one_visit(
    world: ApprovalWorld, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    slot_ref = clinic.free_slots[0]
    draft, item_id = _booking(world, clinic, slot_ref)
    real = world.queue.set_committed
    monkeypatch.setattr(world.queue, "set_committed", _crash)
    with pytest.raises(RuntimeError, match="process died"):
        world.service.approve(item_id, "drlee")
    monkeypatch.setattr(world.queue, "set_committed", real)
    busy = world.read(slot_ref)
    assert busy["status"] == "busy"

    [outcome] = world.service.repair("drkim") if _lapse(world, item_id) else []

    [visit] = world.written(draft)
    assert outcome.fhir_reference == f"Appointment/{visit['id']}" and outcome.decided_by == "drlee"
    assert world.read(slot_ref)["meta"]["versionId"] == busy["meta"]["versionId"], "the slot is not rewritten"


def test_an_edit_naming_a_slot_that_does_not_exist_reopens_the_item(
    world: ApprovalWorld, clinic: Clinic
) -> None:
    draft, item_id = _booking(world, clinic, clinic.free_slots[0])
    edited = {**draft.resource, "slot": [{"reference": "Slot/no-such-slot"}]}
    with pytest.raises(ApprovalConflict, match="does not exist"):
        world.service.approve(item_id, "drlee", edited_resource=edited)
    assert world.queue.require(item_id).status == "pending" and world.written(draft) == []
    assert world.service.approve(item_id, "drlee").fhir_reference is not None


def test_an_approved_cancellation_frees_the_slot(world: ApprovalWorld, clinic: Clinic) -> None:
    draft = world.record(clinic).draft_cancellation(world.visit_view(clinic), "feeling better", "k1")
    item_id = world.file(clinic, draft)

    outcome = world.service.approve(item_id, "drlee")

    visit = world.read(f"Appointment/{clinic.visit['id']}")
    assert outcome.fhir_reference == f"Appointment/{clinic.visit['id']}"
    assert visit["status"] == "cancelled" and visit["cancelationReason"]["text"] == "feeling better"
    assert world.read(clinic.visit_slot)["status"] == "free"
    assert world.search("Appointment", patient=f"Patient/{clinic.patient_id}", status="booked") == []
    assert str(world.told(item_id)).startswith("Your care team (Dr. Lee) approved: Cancel the Cardiology")


def test_a_rejected_cancellation_keeps_the_visit(world: ApprovalWorld, clinic: Clinic) -> None:
    draft = world.record(clinic).draft_cancellation(world.visit_view(clinic), "", "k1")
    item_id = world.file(clinic, draft)

    world.service.reject(item_id, "drlee", "Please keep it: we need to see you.")

    assert world.read(f"Appointment/{clinic.visit['id']}")["status"] == "booked"
    assert world.read(clinic.visit_slot)["status"] == "busy"


def test_a_reschedule_moves_the_visit_in_one_write(world: ApprovalWorld, clinic: Clinic) -> None:
    new_slot = clinic.free_slots[1]
    record = world.record(clinic)
    draft = record.draft_reschedule(world.visit_view(clinic), world.slot_view(clinic, new_slot), "", "k1")
    item_id = world.file(clinic, draft)

    outcome = world.service.approve(item_id, "drlee")
    again = world.service.repair("drlee")

    [moved] = world.written(draft)
    assert outcome.fhir_reference == f"Appointment/{moved['id']}" and again == []
    assert moved["status"] == "booked" and moved["slot"] == [{"reference": new_slot}]
    assert world.read(new_slot)["status"] == "busy"
    old = world.read(f"Appointment/{clinic.visit['id']}")
    assert old["status"] == "cancelled" and world.read(clinic.visit_slot)["status"] == "free"
    booked = world.search("Appointment", patient=f"Patient/{clinic.patient_id}", status="booked")
    assert [v["id"] for v in booked] == [moved["id"]]
    assert str(world.told(item_id)).startswith("Your care team (Dr. Lee) approved: Move to Cardiology")


# -- referral, lab order, reading ------------------------------------------------------------
def test_an_approved_referral_is_an_active_order_for_the_specialty(
    world: ApprovalWorld, clinic: Clinic
) -> None:
    draft = world.record(clinic).draft_referral("dermatology", "changing mole", "k1")
    item_id = world.file(clinic, draft)
    edited = {**draft.resource, "performerType": {"text": "plastic surgery"}}

    world.service.approve(item_id, "drlee", edited_resource=edited)

    [request] = world.written(draft)
    assert (request["status"], request["intent"]) == ("active", "order")
    assert request["category"][0]["coding"][0]["code"] == "3457005"
    assert request["performerType"] == {"text": "plastic surgery"}
    assert world.read(request["requester"]["reference"])["identifier"][0]["value"] == "drlee"
    assert world.told(item_id) == (
        "Your care team (Dr. Lee) approved: Referral to plastic surgery (adjusted by your care team)."
    )


def test_an_approved_lab_order_is_a_laboratory_request(world: ApprovalWorld, clinic: Clinic) -> None:
    draft = world.record(clinic).draft_lab_order("HbA1c", "diabetes check", "k1")
    item_id = world.file(clinic, draft)

    world.service.approve(item_id, "drlee")
    world.service.repair("drlee")

    [request] = world.written(draft)
    assert (request["status"], request["intent"]) == ("active", "order")
    assert request["category"][0]["coding"][0]["code"] == "108252007"
    assert world.told(item_id) == "Your care team (Dr. Lee) approved: Order HbA1c."


def test_an_approved_reading_becomes_final(world: ApprovalWorld, clinic: Clinic) -> None:
    taken = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    draft = world.record(clinic).draft_reading("Body weight", "29463-7", 81.5, "kg", taken, "k1")
    item_id = world.file(clinic, draft)
    rejected = world.record(clinic).draft_reading("Body weight", "29463-7", 18.5, "kg", taken, "k2")
    rejected_id = world.file(clinic, rejected)

    world.service.approve(item_id, "drlee")
    world.service.reject(rejected_id, "drkim", "That looks like a typo; please weigh again.")

    [reading] = world.written(draft)
    assert reading["status"] == "final"
    assert reading["performer"] == [{"reference": f"Patient/{clinic.patient_id}"}]
    assert reading["valueQuantity"]["value"] == 81.5
    assert world.written(rejected) == []
    with pytest.raises(AlreadyDecided):
        world.service.approve(item_id, "drkim")


def test_an_edit_may_not_move_the_action_to_another_patient(world: ApprovalWorld, clinic: Clinic) -> None:
    draft = world.record(clinic).draft_lab_order("HbA1c", "", "k1")
    item_id = world.file(clinic, draft)
    with pytest.raises(ReviewError, match="may not change `subject`"):
        world.service.approve(
            item_id, "drlee", edited_resource={**draft.resource, "subject": {"reference": "Patient/x"}}
        )
    assert world.queue.require(item_id).status == "pending" and world.written(draft) == []


# -- helpers -----------------------------------------------------------------------------------
def _race(world: ApprovalWorld, decisions: list[tuple[str, str]]) -> dict[str, object]:
    """Approve the items at the same moment, each by its clinician; the outcome or error per item."""
    barrier = threading.Barrier(len(decisions))
    results: dict[str, object] = {}

    def approve(item_id: str, user: str) -> None:
        barrier.wait()
        try:
            results[item_id] = world.service.approve(item_id, user)
        except ReviewError as exc:
            results[item_id] = exc

    runners = [threading.Thread(target=approve, args=pair) for pair in decisions]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    return results


def _lost(results: dict[str, object], item_id: str) -> bool:
    return isinstance(results[item_id], ReviewError)


def test_an_approval_that_lost_the_slot_between_planning_and_writing_is_reopened(
    world: ApprovalWorld, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic interleaving: A books the slot after B planned against it and before B writes."""
    other = world.seed()
    slot_ref = clinic.free_slots[0]
    a_draft, a = _booking(world, clinic, slot_ref)
    b_draft = world.record(other).draft_booking(world.slot_view(clinic, slot_ref), "", "k2")
    b = world.file(other, b_draft)
    planner = world.service.effects.contracts
    real_plan = planner.plan
    interleaved: list[str] = []

    def plan_then_lose_the_race(approval: Any) -> Any:
        made = real_plan(approval)
        if approval.draft.identifier_value == b_draft.identifier_value and not interleaved:
            interleaved.append(a)
            world.service.approve(a, "drlee")
        return made

    monkeypatch.setattr(planner, "plan", plan_then_lose_the_race)
    with pytest.raises(ApprovalConflict, match="no longer free"):
        world.service.approve(b, "drkim")

    assert interleaved == [a] and world.queue.require(b).status == "pending"
    assert [v["id"] for v in world.written(a_draft)] == [world.queue.require(a).fhir_reference.split("/")[1]]
    assert world.written(b_draft) == []
    booked = [v for v in world.search("Appointment", slot=slot_ref) if v["status"] == "booked"]
    assert len(booked) == 1 and world.read(slot_ref)["status"] == "busy"
    assert [e.action for e in world.audit.entries(subject=f"review:{b}")][0] == "review.reopen"


def _crash(item: str, reference: str) -> None:
    raise RuntimeError("the process died after the EHR write")


def _lapse(world: ApprovalWorld, item_id: str) -> bool:
    """What time does to a dead session's finish lease: it lapses (so `repair` may take over)."""
    from sqlalchemy import update

    from carecoord.review.models import ReviewItem
    from carecoord.review.queue import FINISH_LEASE

    lapsed = datetime.now(UTC) - FINISH_LEASE - FINISH_LEASE
    with world.queue.engine.begin() as connection:
        connection.execute(update(ReviewItem).where(ReviewItem.id == item_id).values(finishing_at=lapsed))
    return True


def test_without_transactions_the_same_writes_go_one_by_one(
    world: ApprovalWorld, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server whose CapabilityStatement lists no `transaction`: conditional create first, then updates."""
    monkeypatch.setattr(world.gateway, "supports", lambda interaction: False)
    draft, item_id = _refill(world, clinic)
    slot_ref = clinic.free_slots[0]
    booking, booking_id = _booking(world, clinic, slot_ref)

    world.service.approve(item_id, "drlee")
    world.service.approve(booking_id, "drlee")

    [order] = world.written(draft)
    assert [o["id"] for o in _active_orders(world, clinic)] == [order["id"]]
    assert world.read(f"MedicationRequest/{clinic.order['id']}")["status"] == "completed"
    [visit] = world.written(booking)
    assert visit["status"] == "booked" and world.read(slot_ref)["status"] == "busy"
