"""`PatientRecord`: the agent's whole view of the EHR, bound to one patient when a session opens.

Isolation is enforced here, in code: every search is filtered by the bound patient, and every resource
that comes back is checked to be about that patient before anyone sees it. Nothing above this layer
ever passes a patient id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rapidfuzz import fuzz

from tools import parse, views
from tools.drafts import Draft, booking_draft, message_draft, referral_draft, refill_draft
from tools.drafts_orders import lab_order_draft, reading_draft
from tools.drafts_visits import cancellation_draft, reschedule_draft
from tools.errors import FhirError, PatientIsolationError
from tools.fhir import FhirGateway, WriteResult
from tools.transactions import BundleWrite, write_all

SUBJECT_FIELDS = ("subject", "patient", "for")
"""Where a patient-owned resource names its patient (Appointment uses `participant`)."""
WINDOW_PAGE = 1000
"""Results per page of a window search (the sandbox's largest page): few round trips on a dense record."""


def _instant(moment: datetime) -> str:
    """A FHIR search instant in UTC (`2026-12-06T00:00:00Z`); naive times are read as UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


SHARED_TYPES = frozenset({"Slot", "Schedule", "Practitioner", "PractitionerRole"})
"""Resources no patient owns: an approval may write them (a Slot becomes busy) for any patient."""
SCHEDULE_ELEMENTS = ("actor", "specialty")
"""All `free_slots` reads of a Schedule: who it belongs to and the specialty, to match the request."""


@dataclass(frozen=True)
class ToolCall:
    """One tool invocation, for the turn trace, the audit log and the `tools` field of answers."""

    name: str
    args: dict[str, str]
    ok: bool
    ms: float
    error: str | None = None


@dataclass
class PatientRecord:
    """Read and draft access to exactly one patient's record."""

    gateway: FhirGateway
    patient_id: str
    on_call: Callable[[ToolCall], None] | None = None
    calls: list[ToolCall] = field(default_factory=list)

    @property
    def patient_reference(self) -> str:
        """`Patient/<id>` of the bound patient."""
        return f"Patient/{self.patient_id}"

    # -- isolation ---------------------------------------------------------------------------
    def _owned(self, resource: Mapping[str, Any]) -> Mapping[str, Any]:
        """Return `resource` if it is about the bound patient; raise otherwise."""
        resource_type = resource.get("resourceType")
        if resource_type == "Patient":
            refs = [f"Patient/{resource.get('id')}"]
        elif resource_type == "Appointment":
            refs = [
                str((p.get("actor") or {}).get("reference", ""))
                for p in resource.get("participant") or []
                if str((p.get("actor") or {}).get("reference", "")).startswith("Patient/")
            ]
        else:
            refs = [
                str((resource.get(name) or {}).get("reference", ""))
                for name in SUBJECT_FIELDS
                if isinstance(resource.get(name), Mapping)
            ]
        normalised = {_relative(ref) for ref in refs if ref}
        if normalised != {self.patient_reference}:
            raise PatientIsolationError(
                f"{resource_type}/{resource.get('id')} is not about the session's patient; refused"
            )
        return resource

    def _patient_search(
        self, resource_type: str, params: Sequence[tuple[str, str]], limit: int = 100
    ) -> list[Mapping[str, Any]]:
        found = self.gateway.search(
            resource_type, [("patient", self.patient_reference), *params], limit=limit
        )
        return [self._owned(resource) for resource in found]

    @contextmanager
    def _tool(self, name: str, **args: str) -> Iterator[None]:
        """Time a tool call and record it, whether it succeeds or fails."""
        started = time.perf_counter()
        error: str | None = None
        try:
            yield
        except (FhirError, PatientIsolationError) as exc:
            error = str(exc)
            raise
        finally:
            call = ToolCall(
                name=name,
                args=dict(args),
                ok=error is None,
                ms=(time.perf_counter() - started) * 1000,
                error=error,
            )
            self.calls.append(call)
            if self.on_call is not None:
                self.on_call(call)

    # -- reads -------------------------------------------------------------------------------
    def summary(self) -> views.PatientSummary:
        """Who the patient is: name, birth date, sex."""
        with self._tool("patient_summary"):
            return parse.patient(self._owned(self.gateway.read("Patient", self.patient_id)))

    def active_medications(self) -> list[views.Medication]:
        """Active prescriptions, newest first."""
        with self._tool("active_medications"):
            found = self._patient_search(
                "MedicationRequest", [("status", "active"), ("_sort", "-authoredon")]
            )
            return [parse.medication(r) for r in found]

    def medication(self, medication_request_id: str) -> views.Medication:
        """One of the patient's prescriptions by id."""
        with self._tool("medication", id=medication_request_id):
            return parse.medication(
                self._owned(self.gateway.read("MedicationRequest", medication_request_id))
            )

    def conditions(self) -> list[views.Condition]:
        """Problem list entries that are not resolved or inactive."""
        with self._tool("conditions"):
            found = [parse.condition(r) for r in self._patient_search("Condition", [])]
            return [c for c in found if c.clinical_status in (None, "active", "recurrence", "relapse")]

    def allergies(self) -> list[views.Allergy]:
        """Allergies and intolerances."""
        with self._tool("allergies"):
            return [parse.allergy(r) for r in self._patient_search("AllergyIntolerance", [])]

    def immunizations(self) -> list[views.Immunization]:
        """Vaccinations given (not those entered in error or not done), newest first."""
        with self._tool("immunizations"):
            found = [parse.immunization(r) for r in self._patient_search("Immunization", [])]
        given = [i for i in found if i.status in (None, "completed")]
        return sorted(given, key=lambda i: i.occurred or date.min, reverse=True)

    def observations(
        self, code: str | None = None, category: str | None = None, since: date | None = None, limit: int = 20
    ) -> list[views.Observation]:
        """Lab results and vitals, newest first, by LOINC code (`system|code` or code) or category."""
        params = [("_sort", "-date")]
        if code:
            params.append(("code", code if "|" in code else f"{parse.LOINC}|{code}"))
        if category:
            params.append(("category", category))
        if since:
            params.append(("date", f"ge{since.isoformat()}"))
        with self._tool("observations", code=code or "", category=category or "", since=str(since or "")):
            return [parse.observation(r) for r in self._patient_search("Observation", params, limit=limit)]

    def observations_between(
        self, start: datetime | None, end: datetime | None, limit: int
    ) -> tuple[list[views.Observation], bool]:
        """Every result taken in [start, end) (None: open), newest first, and whether all were read.

        Both bounds travel in the query (`date=ge…&date=lt…`) and pages are as large as the server allows,
        so a window of a dense record reads only that window; `False` means `limit` or the page bound
        stopped the read and the caller must not say a result is absent.
        """
        params = [("_sort", "-date"), ("_count", str(WINDOW_PAGE))]
        if start is not None:
            params.append(("date", f"ge{_instant(start)}"))
        if end is not None:
            params.append(("date", f"lt{_instant(end)}"))
        with self._tool("observations", since=str(start or ""), until=str(end or "")):
            found = self.gateway.search_all(
                "Observation", [("patient", self.patient_reference), *params], limit
            )
            owned = [self._owned(resource) for resource in found.resources]
            return [parse.observation(r) for r in owned], found.complete

    def upcoming_appointments(self, now: datetime | None = None, limit: int = 10) -> list[views.Appointment]:
        """Booked visits from now on, soonest first."""
        moment = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        params = [("date", f"ge{moment}"), ("_sort", "date")]
        with self._tool("upcoming_appointments"):
            found = [parse.appointment(r) for r in self._patient_search("Appointment", params, limit=limit)]
            return [
                a for a in found if a.status in ("booked", "pending", "proposed", "arrived", "checked-in")
            ]

    def past_appointments(self, now: datetime | None = None, limit: int = 10) -> list[views.Appointment]:
        """Visits before now, most recent first."""
        moment = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._tool("past_appointments"):
            found = self._patient_search(
                "Appointment", [("date", f"lt{moment}"), ("_sort", "-date")], limit=limit
            )
            return [parse.appointment(r) for r in found]

    def care_plans(self) -> list[views.CarePlan]:
        """Active care plans."""
        with self._tool("care_plans"):
            return [parse.care_plan(r) for r in self._patient_search("CarePlan", [("status", "active")])]

    def free_slots(
        self,
        specialty: str | None = None,
        practitioner: str | None = None,
        start: datetime | None = None,
        days: int = 30,
        limit: int = 10,
    ) -> list[views.Slot]:
        """Bookable slots in a window, matched to a specialty or clinician name by fuzzy text.

        Slots belong to clinicians, not patients, so they are the one shared read; matching happens on
        Schedule text because patients say "heart doctor", not a specialty code.
        """
        window_start = start or datetime.now(UTC)
        window_end = window_start + timedelta(days=days)
        with self._tool("free_slots", specialty=specialty or "", practitioner=practitioner or ""):
            schedules = self.gateway.search("Schedule", [], limit=200, elements=SCHEDULE_ELEMENTS)
            chosen = [s for s in schedules if _schedule_matches(s, specialty, practitioner)]
            slots: list[views.Slot] = []
            for schedule in chosen:
                params = [
                    ("schedule", f"Schedule/{schedule.get('id')}"),
                    ("status", "free"),
                    ("start", f"ge{window_start.strftime('%Y-%m-%dT%H:%M:%SZ')}"),
                    ("start", f"lt{window_end.strftime('%Y-%m-%dT%H:%M:%SZ')}"),
                    ("_sort", "start"),
                ]
                slots.extend(
                    parse.slot(r, schedule) for r in self.gateway.search("Slot", params, limit=limit)
                )
            return sorted(slots, key=lambda s: s.start)[:limit]

    def slot(self, slot_id: str) -> views.Slot:
        """One slot by id, with its schedule's clinician and specialty."""
        with self._tool("slot", id=slot_id):
            resource = self.gateway.read("Slot", slot_id)
            schedule_ref = str((resource.get("schedule") or {}).get("reference", ""))
            schedule = self.gateway.read("Schedule", schedule_ref.split("/")[-1]) if schedule_ref else None
            return parse.slot(resource, schedule)

    # -- drafts (never written until a clinician approves) -------------------------------------
    def draft_refill(self, medication: views.Medication, request_key: str = "") -> Draft:
        """A refill request for one of the patient's prescriptions, as a `draft` MedicationRequest."""
        with self._tool("draft_refill", medication=medication.reference):
            self._owned(medication.source.json_body)
            return refill_draft(self.patient_reference, medication, request_key)

    def draft_booking(self, slot: views.Slot, reason: str = "", request_key: str = "") -> Draft:
        """A `proposed` Appointment in a free slot."""
        with self._tool("draft_booking", slot=slot.reference):
            return booking_draft(self.patient_reference, slot, reason, request_key)

    def draft_referral(self, specialty: str, reason: str, request_key: str = "") -> Draft:
        """A `draft` ServiceRequest for a referral."""
        with self._tool("draft_referral", specialty=specialty):
            return referral_draft(self.patient_reference, specialty, reason, request_key)

    def draft_cancellation(
        self, appointment: views.Appointment, reason: str = "", request_key: str = ""
    ) -> Draft:
        """Cancel one of the patient's booked visits (the Appointment as it will read once cancelled)."""
        with self._tool("draft_cancellation", appointment=appointment.reference):
            self._owned(appointment.source.json_body)
            return cancellation_draft(self.patient_reference, appointment, reason, request_key)

    def draft_reschedule(
        self, appointment: views.Appointment, slot: views.Slot, reason: str = "", request_key: str = ""
    ) -> Draft:
        """Move one of the patient's booked visits to a free slot (a `proposed` Appointment replacing it)."""
        with self._tool("draft_reschedule", appointment=appointment.reference, slot=slot.reference):
            self._owned(appointment.source.json_body)
            return reschedule_draft(self.patient_reference, appointment, slot, reason, request_key)

    def draft_lab_order(self, test: str, reason: str = "", request_key: str = "") -> Draft:
        """A `draft` ServiceRequest (category laboratory) for a test the patient asks for."""
        with self._tool("draft_lab_order", test=test):
            return lab_order_draft(self.patient_reference, test, reason, request_key)

    def draft_reading(
        self,
        name: str,
        loinc: str,
        value: float,
        unit: str,
        taken_at: datetime,
        request_key: str = "",
        components: Sequence[tuple[str, str, float]] = (),
    ) -> Draft:
        """A `preliminary` Observation the patient reported (performer the patient); final once approved."""
        with self._tool("draft_reading", loinc=loinc):
            return reading_draft(
                self.patient_reference,
                name,
                loinc,
                value,
                unit,
                taken_at,
                request_key,
                components=components,
            )

    def draft_message(self, text: str, request_key: str = "") -> Draft:
        """A Communication from the patient to the care team."""
        with self._tool("draft_message"):
            return message_draft(self.patient_reference, text, request_key)

    def commit(self, draft: Draft) -> WriteResult:
        """Write an APPROVED draft, exactly once: conditional create on the draft's stable identifier.

        Callers (the review queue) must only pass drafts a clinician approved; a retry after a crash
        finds the resource the first attempt wrote instead of writing a second one.
        """
        if draft.patient_reference != self.patient_reference:
            raise PatientIsolationError("draft belongs to another patient; refused")
        with self._tool("commit", kind=draft.kind, identifier=draft.identifier_value):
            return self.gateway.create_if_none_exist(draft.approved_resource(), draft.condition)

    def commit_all(self, draft: Draft, writes: Sequence[BundleWrite]) -> list[dict[str, Any]]:
        """Write what approving `draft` implies, as one transaction where the server has them.

        Every patient-owned resource among `writes` must be the bound patient's; Slots and
        Practitioners are shared. The writes are conditional (see `tools.transactions`).
        """
        if draft.patient_reference != self.patient_reference:
            raise PatientIsolationError("draft belongs to another patient; refused")
        for write in writes:
            if write.resource.get("resourceType") not in SHARED_TYPES:
                self._owned(write.resource)
        with self._tool("commit", kind=draft.kind, identifier=draft.identifier_value):
            return write_all(self.gateway, writes)


def _relative(reference: str) -> str:
    """`http://host/fhir/Patient/1` → `Patient/1`."""
    parts = reference.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else reference


def _schedule_matches(schedule: Mapping[str, Any], specialty: str | None, practitioner: str | None) -> bool:
    specialty_texts = [t for c in schedule.get("specialty") or [] if (t := parse.concept_text(c))]
    actor_names = [str(a.get("display") or "") for a in schedule.get("actor") or []]
    wanted = specialty.lower() if specialty else ""
    if wanted and not any(
        wanted in t.lower() or fuzz.ratio(wanted, t.lower()) >= 85 for t in specialty_texts
    ):
        return False
    return not (
        practitioner
        and not any(fuzz.partial_ratio(practitioner.lower(), n.lower()) >= 80 for n in actor_names)
    )
