"""The tools Claude may ask for while planning, described for the model, and how its picks become a Plan.

One tool per read/draft tool the toolbox runs, with the arguments `agent.toolbox` actually reads. None
takes a patient id: the record is bound to the session's patient before the model sees anything.
`set_intent` carries the classification itself (intent, confidence, whether vetted guidance is
needed), so the whole plan comes back as tool_use blocks in one reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, cast, get_args

import yaml
from anthropic.types import Message, ToolParam, ToolUseBlock

from agent.intents import INTENTS_PATH
from agent.matching import LAB_CODES, SPECIALTY_WORDS
from agent.models import DraftTool, Intent, Plan, ReadTool, ToolRequest
from agent.reasoners.base import ReasonerError
from tools.concepts import vaccines

SET_INTENT = "set_intent"
MAX_TOOLS = 4
"""More record reads than this in one turn is a confused plan; the rest are dropped."""
KNOWN_TOOLS: frozenset[str] = frozenset(get_args(ReadTool) + get_args(DraftTool))
KNOWN_INTENTS: tuple[str, ...] = get_args(Intent)

_LABS = ", ".join(f"{code} ({name})" for code, (name, _) in LAB_CODES.items())
_SPECIALTIES = ", ".join(SPECIALTY_WORDS)


@dataclass(frozen=True)
class Arg:
    """One argument of a tool, always optional unless `required`."""

    name: str
    description: str
    required: bool = False
    type: Literal["string", "integer"] = "string"


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the model sees it."""

    name: ReadTool | DraftTool
    description: str
    args: tuple[Arg, ...] = ()

    def param(self) -> ToolParam:
        """The Messages-API tool definition."""
        properties: dict[str, object] = {
            arg.name: {"type": arg.type, "description": arg.description} for arg in self.args
        }
        required = [arg.name for arg in self.args if arg.required]
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": {"type": "object", "properties": properties, "required": required},
        }


MEDICATION = Arg("medication", "The medicine as the patient names it (brand or generic), e.g. 'Glucophage'.")
SPECIALTY = Arg("specialty", f"Clinic specialty, one of: {_SPECIALTIES}.")
PRACTITIONER = Arg("practitioner", "A clinician's name when the patient asks for someone in particular.")
REASON = Arg("reason", "The patient's reason in their own words, one short sentence.")

TOOL_SPECS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "patient_summary",
        "The patient's name, birth date and sex as recorded. Give `fact` = `age` or `date_of_birth` when "
        "the patient asks how old they are or their date of birth (age is computed on the clinic's clock).",
        (Arg("fact", "`age` or `date_of_birth`, when that is what the patient asks."),),
    ),
    ToolSpec(
        "active_medications",
        "The patient's active prescriptions with dosage instructions. Give `medication` to narrow to "
        "one medicine (this also returns its refills left and validity).",
        (MEDICATION,),
    ),
    ToolSpec("conditions", "Active problems on the patient's problem list."),
    ToolSpec("allergies", "Recorded allergies and intolerances, with reactions."),
    ToolSpec(
        "immunizations",
        "Vaccinations the record shows as given, newest first. Give `vaccine` to narrow to one.",
        (Arg("vaccine", f"Vaccine id, one of: {', '.join(vaccines())} (`any` for the whole history)."),),
    ),
    ToolSpec(
        "observations",
        "The patient's most recent lab results and vitals. Without `code` or `concept`, the latest five of "
        "any kind. With `concept`, the test is found however the record codes it, and `aggregate` asks for "
        "the result before the latest or a number worked out from every result in the window.",
        (
            Arg("code", f"LOINC code of one test: {_LABS}."),
            Arg(
                "concept",
                "Concept id of one lab or vital from our concept table (potassium, glucose, weight).",
            ),
            Arg(
                "aggregate",
                "`previous`, `average`, `lowest`, `highest` or `trend`; leave out for the latest.",
            ),
            Arg("start", "Start of the asked window, ISO 8601 (e.g. 2026-11-30T00:00:00+00:00)."),
            Arg("end", "End of the asked window, ISO 8601; leave out for now."),
        ),
    ),
    ToolSpec(
        "upcoming_appointments",
        "The patient's booked visits from now on, soonest first.",
        (Arg("limit", "How many to return (1 unless the patient asks for more).", type="integer"),),
    ),
    ToolSpec("past_appointments", "The patient's most recent past visit."),
    ToolSpec("care_plans", "The patient's active care plans and their planned activities."),
    ToolSpec(
        "free_slots",
        "Open appointment times in the next 30 days, to show the patient before booking.",
        (SPECIALTY, PRACTITIONER),
    ),
    ToolSpec(
        "draft_refill",
        "Draft a refill request for a medicine the patient already takes. Nothing is sent: a clinician "
        "reviews and approves it first.",
        (Arg("medication", MEDICATION.description, required=True),),
    ),
    ToolSpec(
        "draft_booking",
        "Draft a booking of the first open time that fits. Nothing is booked until a clinician approves.",
        (SPECIALTY, PRACTITIONER, REASON),
    ),
    ToolSpec(
        "draft_referral",
        "Draft a referral to a specialist for a clinician to review. Nothing is sent until approved.",
        (Arg("specialty", SPECIALTY.description, required=True), Arg("reason", REASON.description, True)),
    ),
    ToolSpec(
        "draft_message",
        "Draft a message to the care team (e.g. to cancel or move a visit). A clinician reads it first.",
        (Arg("text", "The message for the care team, in plain words, one or two sentences.", True),),
    ),
    ToolSpec(
        "draft_lab_order",
        "Draft a lab or test order the patient asks for, for a clinician to review. Nothing is ordered "
        "until approved.",
        (Arg("test", "The test as the patient names it, e.g. 'A1c'.", True), REASON),
    ),
    ToolSpec(
        "draft_reading",
        "Draft a reading the patient took and asks to have recorded (a preliminary Observation a clinician "
        "reviews).",
        (
            Arg("concept", "What was measured, e.g. 'blood pressure', 'weight', 'glucose'.", True),
            Arg("value", "The number as the patient gave it; blood pressure as '118/77'.", True),
            Arg("unit", "The unit when the patient gave one, e.g. 'kg', 'mg/dL'."),
        ),
    ),
)


@lru_cache(maxsize=1)
def _intent_descriptions() -> str:
    data = yaml.safe_load(INTENTS_PATH.read_text(encoding="utf-8"))["intents"]
    return "\n".join(f"- {name}: {spec.get('description', '')}" for name, spec in data.items())


def set_intent_param() -> ToolParam:
    """The classification tool; the model must call it exactly once per plan."""
    return {
        "name": SET_INTENT,
        "description": "Record what the patient wants this turn. Call it exactly once, with any record "
        "tools the answer needs in the same reply. Intents:\n" + _intent_descriptions(),
        "input_schema": {
            "type": "object",
            "properties": {
                "intent": {"type": "string", "enum": list(KNOWN_INTENTS)},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "needs_guidance": {
                    "type": "boolean",
                    "description": "True when the answer needs the clinic's vetted patient-education "
                    "library (how to take a medicine, missed doses, self-care, symptoms, clinic policy).",
                },
                "guidance_query": {
                    "type": "string",
                    "description": "What to search the library for, with generic drug names.",
                },
                "target": {
                    "type": "string",
                    "description": "The medicine, specialty or date the patient means, resolved from "
                    "the conversation (e.g. 'the other one' → the medicine not discussed last turn).",
                },
            },
            "required": ["intent", "confidence", "needs_guidance"],
        },
    }


def tool_params() -> list[ToolParam]:
    """Every tool for the plan call; the last carries the prompt-cache breakpoint."""
    params = [spec.param() for spec in TOOL_SPECS] + [set_intent_param()]
    params[-1] = {**params[-1], "cache_control": {"type": "ephemeral"}}
    return params


def plan_from_message(message: Message, question: str) -> Plan:
    """Turn the reply's tool_use blocks into a Plan; `ReasonerError` when it is not one.

    A plan that needs guidance but names no query searches for the patient's own words.
    """
    uses = [block for block in message.content if isinstance(block, ToolUseBlock)]
    intents = [block for block in uses if block.name == SET_INTENT]
    if len(intents) != 1:
        raise ReasonerError(f"Claude plan called {SET_INTENT} {len(intents)} times, expected once")
    chosen = intents[0].input
    intent = chosen.get("intent")
    if intent not in KNOWN_INTENTS:
        raise ReasonerError(f"Claude plan returned an unknown intent: {intent!r}")
    try:
        confidence = min(1.0, max(0.0, float(str(chosen.get("confidence", 0.0)))))
    except ValueError as exc:
        raise ReasonerError("Claude plan returned a confidence that is not a number") from exc
    requests: list[ToolRequest] = []
    for block in uses:
        if block.name == SET_INTENT:
            continue
        if block.name not in KNOWN_TOOLS:
            raise ReasonerError(f"Claude plan asked for an unknown tool: {block.name!r}")
        args = {key: str(value) for key, value in block.input.items() if value not in (None, "")}
        request = ToolRequest(tool=cast(ReadTool | DraftTool, block.name), args=args)
        if request not in requests:
            requests.append(request)
    query = str(chosen.get("guidance_query") or "").strip()
    needs_guidance = bool(chosen.get("needs_guidance"))
    target = str(chosen.get("target") or "").strip()
    return Plan(
        intent=cast(Intent, intent),
        confidence=confidence,
        tools=tuple(requests[:MAX_TOOLS]),
        needs_guidance=needs_guidance,
        guidance_query=(query or question) if needs_guidance else None,
        target=target or None,
        reasoner="claude",
    )
