"""Runs the plan's tool requests against the patient's record and phrases what they return.

Both reasoners go through here, so slot filling (which medication, which specialty), drafting and the
wording of record facts are the same whichever model planned the turn. Every fact carries the resource
it was read from; that is its citation. The tools it runs are the catalogue's (`agent/tool_catalogue.yaml`);
a unit test keeps `_run_one`'s cases equal to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast

from agent.booking_window import booking_window
from agent.grounding.lexicon import load_drug_lexicon
from agent.immunization_facts import immunization_facts
from agent.lab_search import find_results, find_series
from agent.matching import (
    LAB_CODES,
    match_medication,
    match_specialty,
    medications_of_class,
    medications_of_form,
)
from agent.models import Fact, ToolRequest
from agent.order_tools import demographic_facts, lab_order, reading
from agent.other_one import the_other
from agent.series_facts import SERIES_AGGREGATES, Aggregate, series_fact
from agent.unknown_names import UNKNOWN_NAME_ARG, named_in_record
from tools import views
from tools.clock import Clock, TimeWindow
from tools.concepts.named import observation_name
from tools.concepts.units import shown_unit
from tools.drafts import Draft
from tools.errors import FhirError
from tools.record import PatientRecord


@dataclass
class ActResult:
    """What the tools produced this turn."""

    facts: list[Fact] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Procedural outcomes for the composer, e.g. `ask_which_medication`, `no_upcoming`."""
    mentioned: list[str] = field(default_factory=list)


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "an unrecorded date"
    return f"{value:%B} {value.day}, {value.year}"


def _moment(value: str | None, clock: Clock) -> datetime | None:
    """A window bound a tool argument gives (ISO 8601, the clinic's timezone when none); None if unreadable."""
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=clock.tz) if moment is not None and moment.tzinfo is None else moment


def _when(value: datetime | None) -> str:
    if value is None:
        return "an unrecorded time"
    return f"{value:%A}, {_day(value)} at {value:%H:%M}"


def _updated(source: views.SourceResource) -> str:
    stamp = source.last_updated
    return f", updated {stamp[:10]}" if stamp else ""


def medication_fact(medication: views.Medication) -> Fact:
    """One prescription as a sentence."""
    dosage = f": {medication.dosage.rstrip('.')}" if medication.dosage else ""
    text = f"You have an active prescription for {medication.name}{dosage}."
    return Fact(
        text=text, source=medication.source, title=f"Your medication list{_updated(medication.source)}"
    )


def refills_fact(medication: views.Medication) -> Fact | None:
    """Refills left on a prescription, when the record says."""
    if medication.refills_allowed is None:
        return None
    plural = "refill" if medication.refills_allowed == 1 else "refills"
    text = f"Your prescription for {medication.name} has {medication.refills_allowed} {plural} on record."
    if medication.validity_end is not None:
        text = text[:-1] + f" and is valid until {_day(medication.validity_end)}."
    return Fact(
        text=text, source=medication.source, title=f"Your medication list{_updated(medication.source)}"
    )


def appointment_fact(appointment: views.Appointment, label: str) -> Fact:
    """A visit as a sentence."""
    who = f" with {appointment.practitioner}" if appointment.practitioner else ""
    what = f" ({appointment.specialty})" if appointment.specialty else ""
    text = f"{label} is on {_when(appointment.start)}{who}{what}."
    return Fact(text=text, source=appointment.source, title="Your appointments")


def slot_fact(slot: views.Slot) -> Fact:
    """An open time as a sentence."""
    who = f" with {slot.practitioner}" if slot.practitioner else ""
    what = f" in {slot.specialty}" if slot.specialty else ""
    return Fact(
        text=f"An open appointment time{what} is {_when(slot.start)}{who}.",
        source=slot.source,
        title="Open appointment times",
    )


def observation_fact(observation: views.Observation, prefix: str = "") -> Fact:
    """A result as a sentence, the test named as patients say it (the concept table's friendly name)."""
    name = observation_name(observation)
    unit = f" {shown}" if (shown := shown_unit(observation.unit)) else ""
    which = f"{prefix} " if prefix else ""
    text = f"Your {which}{name} result was {observation.value}{unit} on {_day(observation.effective)}."
    taken = f", {observation.effective:%Y-%m-%d}" if observation.effective else ""
    return Fact(text=text, source=observation.source, title=f"Your test results{taken}")


DEFAULT_BOOKING_DAYS = 30
"""How far ahead open times are offered when the patient names no time."""


class Toolbox:
    """Executes tool requests for one patient's record."""

    def __init__(self, record: PatientRecord, clock: Clock | None = None) -> None:
        self.record = record
        self.clock = clock or Clock()

    def run(self, requests: Sequence[ToolRequest], question: str, request_key: str) -> ActResult:
        """Run every request; a failing tool becomes an error note, never an exception."""
        result = ActResult()
        for request in requests:
            try:
                self._run_one(request, question, request_key, result)
            except FhirError as exc:
                result.errors.append(f"{request.tool}: {exc}")
        return result

    def _run_one(self, request: ToolRequest, question: str, key: str, out: ActResult) -> None:
        args = request.args
        match request.tool:
            case "active_medications":
                medications = self.record.active_medications()
                wanted = args.get("medication")
                if unknown := args.get(UNKNOWN_NAME_ARG):
                    found = named_in_record(unknown, medications)
                    out.notes.extend(() if found else ("not_recognised_medicine",))
                    for medication in found:
                        out.facts.append(medication_fact(medication))
                        out.mentioned.append(medication.name)
                    return
                if request.other_than is not None:
                    chosen = the_other(request.other_than, medications)
                elif wanted:
                    chosen = [m for m in medications if match_medication(wanted, [m])]
                    chosen = (
                        chosen
                        or medications_of_class(wanted, medications)
                        or medications_of_form(wanted, medications)
                    )
                else:
                    chosen = medications
                if not medications:
                    out.notes.append("no_medications")
                for medication in chosen:
                    out.facts.append(medication_fact(medication))
                    out.mentioned.append(medication.name)
                    if wanted and (refills := refills_fact(medication)):
                        out.facts.append(refills)
            case "draft_refill":
                self._draft_refill(args.get("medication", ""), request.other_than, question, key, out)
            case "upcoming_appointments":
                upcoming = self.record.upcoming_appointments()
                if not upcoming:
                    out.notes.append("no_upcoming")
                for index, appointment in enumerate(upcoming[: int(args.get("limit", "1"))]):
                    label = "Your next appointment" if index == 0 else "Another upcoming appointment"
                    out.facts.append(appointment_fact(appointment, label))
            case "past_appointments":
                for appointment in self.record.past_appointments(limit=1):
                    out.facts.append(appointment_fact(appointment, "Your most recent visit"))
            case "free_slots" | "draft_booking":
                self._slots(request, question, key, out)
            case "draft_referral":
                specialty = args.get("specialty") or match_specialty(question) or "primary care"
                out.drafts.append(
                    self.record.draft_referral(specialty, args.get("reason", ""), request_key=key)
                )
                out.mentioned.append(specialty)
            case "draft_message":
                out.drafts.append(self.record.draft_message(args.get("text") or question, request_key=key))
            case "observations":
                self._observations(args, out)
            case "immunizations":
                facts, note = immunization_facts(self.record.immunizations(), args.get("vaccine", ""))
                out.facts.extend(facts)
                out.notes.extend([note] if note else [])
            case "conditions":
                conditions = self.record.conditions()
                if not conditions:
                    out.notes.append("no_conditions")
                for condition in conditions:
                    out.facts.append(
                        Fact(
                            text=f"Your record lists {condition.name}.",
                            source=condition.source,
                            title="Your health conditions",
                        )
                    )
            case "allergies":
                allergies = self.record.allergies()
                if not allergies:
                    out.notes.append("no_allergies")
                for allergy in allergies:
                    reaction = f" (reaction: {', '.join(allergy.reactions)})" if allergy.reactions else ""
                    out.facts.append(
                        Fact(
                            text=f"Your record lists an allergy to {allergy.substance}{reaction}.",
                            source=allergy.source,
                            title="Your allergies",
                        )
                    )
            case "care_plans":
                plans = self.record.care_plans()
                if not plans:
                    out.notes.append("no_care_plans")
                for plan in plans:
                    steps = "; ".join(plan.activities[:4])
                    detail = f": {steps}" if steps else ""
                    out.facts.append(
                        Fact(
                            text=f'Your care plan "{plan.title}" includes{detail}.',
                            source=plan.source,
                            title="Your care plans",
                        )
                    )
            case "patient_summary" if args.get("fact") in ("age", "date_of_birth"):
                out.facts.extend(demographic_facts(self.record.summary(), args["fact"], self.clock))
            case "draft_lab_order":
                reason = args.get("reason") or question
                out.drafts.append(lab_order(self.record, args.get("test") or question, reason, key))
            case "draft_reading":
                self._reading(args, question, key, out)
            case "patient_summary":
                summary = self.record.summary()
                out.facts.append(
                    Fact(
                        text=f"Your record is under the name {summary.name}.",
                        source=summary.source,
                        title="Your record",
                    )
                )

    def _draft_refill(
        self, mention: str, other_than: tuple[str, ...] | None, question: str, key: str, out: ActResult
    ) -> None:
        medications = self.record.active_medications()
        if not medications:
            out.notes.append("no_medications")
            return
        chosen: views.Medication | None
        if other_than is not None:
            remaining = the_other(other_than, medications)
            chosen = remaining[0] if len(remaining) == 1 else None
            if chosen is None:
                out.notes.append("ask_which_medication")
                out.facts.extend(medication_fact(m) for m in remaining)
                return
        elif mention:
            chosen = match_medication(mention, medications)
        else:
            chosen = medications[0] if len(medications) == 1 else None
        if chosen is None and mention and other_than is None and self._named(mention):
            out.notes.append("no_match_medication")
            text = f"Refill request for {mention}, which is not among the active prescriptions."
            out.drafts.append(self.record.draft_message(f"{text} The patient wrote: {question}", key))
            return
        if chosen is None:
            out.notes.append("ask_which_medication" if not mention else "no_match_medication")
            out.facts.extend(medication_fact(m) for m in medications)
            return
        out.mentioned.append(chosen.name)
        if refills := refills_fact(chosen):
            out.facts.append(refills)
        out.drafts.append(self.record.draft_refill(chosen, request_key=key))

    @staticmethod
    def _named(mention: str) -> bool:
        """Whether `mention` names one medicine (a drug name the lexicon knows), not "my pills"."""
        return bool(load_drug_lexicon().find(mention))

    def _reading(self, args: dict[str, str], question: str, key: str, out: ActResult) -> None:
        """A reading the patient asks to record; one not understood goes to the care team as words."""
        name, value = args.get("concept", ""), args.get("value", "")
        draft = reading(self.record, name, value, args.get("unit", ""), self.clock, key)
        if draft is None:
            text = f"The patient asks to record a reading: {question}"
            draft = self.record.draft_message(text, key)
        out.drafts.append(draft)

    def _slots(self, request: ToolRequest, question: str, key: str, out: ActResult) -> None:
        """Open times in the window the patient asked for ("sometime in january"), else the next 30 days."""
        specialty = request.args.get("specialty") or match_specialty(question)
        asked = booking_window(question, self.clock)
        start, days = (asked.start, asked.days) if asked else (self.clock.now(), DEFAULT_BOOKING_DAYS)
        slots = self.record.free_slots(
            specialty=specialty,
            practitioner=request.args.get("practitioner"),
            start=start,
            days=days,
            limit=3,
        )
        if not slots:
            out.notes.append("no_slots_in_window" if asked else "no_slots")
            if request.tool == "draft_booking":
                when = f"in the asked window ({asked.text})" if asked else "in the next 30 days"
                text = f"Booking request (no open times found {when}): {question}"
                out.drafts.append(self.record.draft_message(text, key))
            return
        out.facts.extend(slot_fact(s) for s in slots)
        if specialty:
            out.mentioned.append(specialty)
        if request.tool == "draft_booking":
            out.drafts.append(
                self.record.draft_booking(slots[0], reason=request.args.get("reason", ""), request_key=key)
            )

    def _observations(self, args: dict[str, str], out: ActResult) -> None:
        """Results by concept (however the record codes it), else by LOINC code, else the newest."""
        concept = args.get("concept")
        aggregate = args.get("aggregate", "latest")
        if concept and (aggregate != "latest" or args.get("start") or args.get("end")):
            self._series(concept, aggregate, args, out)
            return
        if concept:
            search = find_results(self.record, concept)
            if not search.found:
                out.notes.append("no_results" if search.complete else "search_incomplete")
            if search.related:  # none of it, after a whole-record search: what the record has nearby
                out.notes.append("related_results")
                out.facts.extend(observation_fact(o) for o in search.related)
            out.facts.extend(observation_fact(o) for o in search.found)
            return
        code = args.get("code")
        found = self.record.observations(code=code, limit=3) if code else []
        if not found and code:
            words = LAB_CODES.get(code, ("", ()))[1]
            recent = self.record.observations(limit=60)
            found = [o for o in recent if any(w in o.name.lower() for w in words if len(w) > 2)][:3]
        if not found and not code:
            found = self.record.observations(limit=3)
        if not found:
            out.notes.append("no_results")
        for observation in found[:3]:
            out.facts.append(observation_fact(observation))

    def _series(self, concept: str, aggregate: str, args: dict[str, str], out: ActResult) -> None:
        """The previous result, or a number derived from every result in the asked window."""
        window = TimeWindow(
            start=_moment(args.get("start"), self.clock), end=_moment(args.get("end"), self.clock)
        )
        search = find_series(self.record, concept, window)
        if aggregate == "previous":
            back = int(args["back"]) if args.get("back", "").isdigit() else 1
            if len(search.found) <= back:
                out.notes.append("no_earlier" if search.complete else "search_incomplete")
            word = "previous" if back == 1 else "earlier"
            out.facts.extend(observation_fact(o, word) for o in search.found[back : back + 1])
            return
        if aggregate == "latest":
            if not search.found:
                out.notes.append("no_results" if search.complete else "search_incomplete")
            out.facts.extend(observation_fact(o) for o in search.found[:1])
            return
        fact = None
        if search.found and aggregate in SERIES_AGGREGATES:
            name = observation_name(search.found[0])
            fact = series_fact(cast(Aggregate, aggregate), name, search.found)
        if fact is None:
            single = aggregate == "trend" and len(search.found) == 1
            note = "single_result" if single else "no_results" if search.complete else "search_incomplete"
            out.notes.append(note)
            out.facts.extend(observation_fact(o) for o in search.found[:1])
            return
        if not search.complete:
            out.notes.append("series_incomplete")
        out.facts.append(fact)
