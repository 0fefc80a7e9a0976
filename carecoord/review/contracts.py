"""What approving each kind of draft writes to the EHR: one plan of FHIR writes (see `contracts.md`).

A plan is made from what the EHR holds now, so planning again after a crash or a lost race leaves out
what this approval already did and notices what another approval took.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from carecoord.review.errors import ReviewError
from tools.drafts import AWAITING_NOTE, DRAFT_IDENTIFIER_SYSTEM, Draft, now_text, with_identifier
from tools.drafts_visits import cancellation_reason, replaced_appointment
from tools.errors import FhirNotFound
from tools.fhir import FhirGateway
from tools.transactions import BundleWrite

Resource = dict[str, Any]
"""FHIR JSON at the EHR boundary."""
APPROVAL_TAG_SYSTEM = "urn:carecoord:approval"
"""`meta.tag` on every resource an approval changed; the code is the draft identifier. A retry knows
its own earlier change by it (the Slot it made busy, the order it completed) from another approval's."""


@dataclass(frozen=True)
class ApprovalPolicy:
    """Clinic policy applied to every approval (from settings, through wiring)."""

    refill_repeats: int = 0
    """`numberOfRepeatsAllowed` of an approved refill, unless the clinician set another number."""


class ApprovalConflict(ReviewError):
    """Another approval (or another system) took what this one needs; the item goes back to pending."""


@dataclass(frozen=True)
class Approval:
    """One approved draft, as the clinician decided it."""

    draft: Draft
    """The agent's draft as filed."""
    final: Resource
    """The resource as approved: the draft or the clinician's checked edit, approved status set."""
    clinician: str
    """`Practitioner/<id>` of the approving clinician."""
    clinician_name: str


@dataclass(frozen=True)
class ApprovalPlan:
    """The writes of one approval, in order (creates first), and which of them the approval reports."""

    writes: tuple[BundleWrite, ...]
    primary: int = 0
    """Index in `writes` of the resource the approval is known by."""
    done: Resource | None = None
    """When nothing is left to write: the primary resource as stored."""


@dataclass
class ContractPlanner:
    """Plans approvals against one FHIR server."""

    gateway: FhirGateway
    policy: ApprovalPolicy = field(default_factory=ApprovalPolicy)

    def plan(self, approval: Approval) -> ApprovalPlan:
        """The writes that carry out `approval` from the EHR's current state.

        Raises:
            ApprovalConflict: what the approval needs is gone (Slot booked, order superseded).
        """
        planners: dict[str, Callable[[Approval], ApprovalPlan]] = {
            "refill": self._refill,
            "booking": self._booking,
            "reschedule": self._booking,
            "cancellation": self._cancellation,
        }
        planner = planners.get(approval.draft.kind, self._order)
        return planner(approval)

    # -- kinds ---------------------------------------------------------------------------------
    def _refill(self, approval: Approval) -> ApprovalPlan:
        order = self._ordered(approval)
        order["intent"] = "order"
        notes = [n for n in order.get("note") or [] if AWAITING_NOTE not in str(n.get("text", ""))]
        order.pop("note", None)
        if notes:
            order["note"] = notes
        dispense = dict(order.get("dispenseRequest") or {})
        drafted = (approval.draft.resource.get("dispenseRequest") or {}).get("numberOfRepeatsAllowed")
        if dispense.get("numberOfRepeatsAllowed", drafted) == drafted:
            dispense["numberOfRepeatsAllowed"] = self.policy.refill_repeats
        order["dispenseRequest"] = dispense
        writes = [_create(order)]
        prior = _reference(order.get("priorPrescription"))
        if prior:
            original = self._read(prior)
            ours = approval.draft.identifier_value
            if original.get("status") == "active":
                writes.append(_update({**original, "status": "completed"}, original, ours))
            elif not _tagged(original, ours):
                raise ApprovalConflict(
                    f"{prior} is {original.get('status')}, no longer active: another approval or the "
                    "pharmacy already superseded it. The item is open again: reject it or ask the patient."
                )
        return ApprovalPlan(tuple(writes))

    def _booking(self, approval: Approval) -> ApprovalPlan:
        visit = dict(approval.final)
        visit["status"] = "booked"
        visit["participant"] = [{**p, "status": "accepted"} for p in visit.get("participant") or []]
        slot_ref = _reference((visit.get("slot") or [{}])[0])
        slot = self._read(slot_ref) if slot_ref else {}
        if slot:
            visit["start"], visit["end"] = slot.get("start"), slot.get("end")
        writes = [_create(visit)]
        ours = approval.draft.identifier_value
        if slot.get("status") == "free":
            writes.append(_update({**slot, "status": "busy"}, slot, ours))
        elif slot and not _tagged(slot, ours):
            raise ApprovalConflict(
                f"{slot_ref} is {slot.get('status')}, no longer free: another approval booked it. "
                "The item is open again: pick another slot or reject it."
            )
        replaced = replaced_appointment(visit)
        if replaced:
            moved = cancellation_reason("Moved to another time")
            writes.extend(self._cancel(replaced, moved, ours, identify=False))
        return ApprovalPlan(tuple(writes))

    def _cancellation(self, approval: Approval) -> ApprovalPlan:
        reference = f"Appointment/{approval.draft.resource.get('id')}"
        reason = approval.final.get("cancelationReason") or cancellation_reason("")
        writes = self._cancel(reference, reason, approval.draft.identifier_value, identify=True)
        return ApprovalPlan(tuple(writes), done=None if writes else self._read(reference))

    def _order(self, approval: Approval) -> ApprovalPlan:
        """Referral, lab/test order, reading, message: one conditional create."""
        resource = dict(approval.final)
        if resource.get("resourceType") == "ServiceRequest":
            resource = self._ordered(approval)
            resource["intent"] = "order"
        return ApprovalPlan((_create(resource),))

    # -- parts ---------------------------------------------------------------------------------
    def _ordered(self, approval: Approval) -> Resource:
        """The approved resource as ordered by the clinician now."""
        order = dict(approval.final)
        order["requester"] = {"reference": approval.clinician, "display": approval.clinician_name}
        order["authoredOn"] = now_text()
        return order

    def _cancel(self, reference: str, reason: Resource, ours: str, identify: bool) -> list[BundleWrite]:
        """Appointment → cancelled and its Slots → free, unless it is cancelled already.

        `identify`: the Appointment takes the draft identifier (a cancellation is known by it; a
        rescheduled visit's old Appointment is not, its new one is).
        """
        current = self._read(reference)
        if current.get("status") == "cancelled":
            return []
        cancelled = {k: v for k, v in current.items() if k != "meta"}
        cancelled.update(status="cancelled", cancelationReason=reason)
        if identify:
            cancelled["identifier"] = with_identifier(current.get("identifier"), ours)
        writes = [_update(cancelled, current, ours)]
        for slot_ref in (_reference(s) for s in current.get("slot") or []):
            slot = self._read(slot_ref) if slot_ref else {}
            if slot.get("status") == "busy":
                writes.append(_update({**slot, "status": "free"}, slot, ours))
        return writes

    def _read(self, reference: str) -> Resource:
        kind, _, resource_id = reference.partition("/")
        try:
            return self.gateway.read(kind, resource_id)
        except FhirNotFound:
            raise ApprovalConflict(
                f"{reference} does not exist (any more). The item is open again: edit it or reject it."
            ) from None

    def withdraw(self, approval: Approval) -> list[BundleWrite]:
        """After a conflict: retract what a failed transaction left behind (servers that do not roll back).

        A resource carrying the draft identifier that the approval did not finish is marked
        `entered-in-error` and loses the identifier, so the item can be approved again later.
        """
        kind = str(approval.draft.resource["resourceType"])
        found = self.gateway.search(kind, [("identifier", _draft_identifier(approval.final))], limit=5)
        ours = approval.draft.identifier_value
        writes = []
        for resource in found:
            retracted = {k: v for k, v in resource.items() if k != "identifier"}
            retracted["status"] = "entered-in-error"
            kept = _without(resource.get("identifier"), ours)
            if kept:
                retracted["identifier"] = kept
            writes.append(_update(retracted, resource, ours))
        return writes


def _draft_identifier(resource: Resource) -> str:
    """`system|value` of the draft identifier an approved resource carries."""
    for identifier in resource.get("identifier") or []:
        if identifier.get("system") == DRAFT_IDENTIFIER_SYSTEM:
            return f"{DRAFT_IDENTIFIER_SYSTEM}|{identifier['value']}"
    raise ReviewError(f"the approved {resource.get('resourceType')} has no draft identifier")


def _create(resource: Resource) -> BundleWrite:
    body = {k: v for k, v in resource.items() if k not in ("id", "meta")}
    return BundleWrite(body, if_none_exist=f"identifier={_draft_identifier(resource)}")


def _update(resource: Resource, current: Resource, ours: str) -> BundleWrite:
    """`resource` written over `current` (if unchanged since read), tagged as changed by approval `ours`."""
    meta = current.get("meta") or {}
    tags = [t for t in meta.get("tag") or [] if t.get("system") != APPROVAL_TAG_SYSTEM]
    body = {k: v for k, v in resource.items() if k != "meta"}
    body["meta"] = {"tag": [*tags, {"system": APPROVAL_TAG_SYSTEM, "code": ours}]}
    version = meta.get("versionId")
    return BundleWrite(body, if_match=str(version) if version else None)


def _tagged(resource: Resource, ours: str) -> bool:
    """Whether approval `ours` made the resource's last change."""
    tags = (resource.get("meta") or {}).get("tag") or []
    return {"system": APPROVAL_TAG_SYSTEM, "code": ours} in [
        {"system": t.get("system"), "code": t.get("code")} for t in tags
    ]


def _without(identifiers: Any, ours: str) -> list[Resource]:
    return [i for i in identifiers or [] if i.get("value") != ours]


def _reference(holder: Any) -> str:
    """`Type/id` of a Reference (absolute URLs shortened)."""
    text = str((holder or {}).get("reference") or "") if isinstance(holder, dict) else ""
    return "/".join(text.rstrip("/").split("/")[-2:]) if text.count("/") >= 1 else ""
