"""Typed asks override the reasoner's plan where they are sure; the rest of the plan stands.

- A general question about people like the patient ("painkillers for diabetic patients over 60") is a
  guidance question: no record reads, the knowledge base answers.
- Every action ask becomes its own draft: two medicines are two refills (when the message is a refill
  request at all: "how many refills are left", planned as a medication list, is a question; "no refills
  left on my lasix" is a request), a test order a lab-order draft, a reading a reading draft, anything
  else (a supplement, "order me potassium") a message to the care team with the patient's words. None is
  dropped.
- A visit, referral or note the reasoner's plan did not draft is drafted from the request words
  ("make me an appt for a blood pressure recheck"); one it did draft is left as it planned it.
- Age and date of birth are read from the Patient resource; each lab or vital a lab question names is
  searched by concept, however the record codes it ("potassium and kidney function" is two searches).
- A lab question naming nothing the concept table knows is said to be unrecognised, never "not found"; an
  unknown name under a medicine intent ("how is my glibbertine doing") is looked for among the medicines.
"""

from __future__ import annotations

from agent.asks.models import Ask
from agent.language.models import Analysis, Kind
from agent.matching import with_generics
from agent.models import Plan, ToolRequest
from agent.unknown_names import UNKNOWN_NAME_ARG, owned_unknown
from agent.vocabulary import unknown_terms
from tools.concepts import observation_table

KEPT_WITH_ACTIONS = frozenset({"draft_booking", "draft_referral", "free_slots", "upcoming_appointments"})
"""Tools of the reasoner's plan that other asks of the same message may still need."""
NET_REQUESTS = frozenset({"booking", "referral", "message"})
"""Requests the reasoner's plan usually drafts itself; the asks add them only when it drafted nothing."""
NET_TOOLS = frozenset({"draft_booking", "draft_referral", "draft_message"})
GUIDANCE_INTENTS = frozenset(
    {"general_question", "medication_question", "condition_self_care", "symptom_report", "missed_dose"}
)
"""Intents under which a lab of the patient's named in the message may be a guidance topic ("how can I lower
my potassium"): searched only when the message asks for no advice (`request: advice` rows). Under any other
intent (a medication list, a care plan, an appointment, a greeting, out of scope) a message naming the
patient's own lab asks for it, whatever the intent classifier's nearest neighbour says."""
SUPERSEDED = frozenset({"observations", "patient_summary"})
"""The reads a record-query ask replaces with its own; the plan's other tools (the appointments of
"my last A1c, and when do I see the doctor?") still answer the message's other asks."""
READ_KINDS: dict[str, Kind] = {
    "upcoming_appointments": "appointment",
    "past_appointments": "appointment",
    "active_medications": "medication",
    "conditions": "condition",
    "allergies": "allergy",
}
"""The record reads a message must name the subject of to keep, beside a sure record ask of another kind."""
JUDGED = "latest"
"""The `aggregate` row of judgement words ("is that good or bad?", "is that normal?"): the latest result,
with what such a result means."""
SURE = 0.9
"""Confidence of a plan the typed asks decided (they are rules over recognised concepts)."""


def _action_tool(ask: Ask) -> ToolRequest:
    concept = ask.concept
    if ask.request == "refill" and concept is not None:
        return ToolRequest(tool="draft_refill", args={"medication": concept.text})
    if ask.request == "lab_order":
        test = concept.concept_id if concept is not None else ask.words
        return ToolRequest(tool="draft_lab_order", args={"test": test, "reason": ask.words})
    if ask.request == "booking":
        return ToolRequest(
            tool="draft_booking",
            args={"specialty": concept.concept_id if concept else "", "reason": ask.words},
        )
    if ask.request == "referral":
        specialty = concept.concept_id if concept else ""
        return ToolRequest(tool="draft_referral", args={"specialty": specialty, "reason": ask.words[:200]})
    if ask.request == "reading" and ask.quantity is not None:
        quantity = ask.quantity
        value = f"{quantity.value:g}" + (f"/{quantity.value2:g}" if quantity.value2 is not None else "")
        args = {"concept": quantity.concept_id or "", "value": value, "unit": quantity.unit or ""}
        return ToolRequest(tool="draft_reading", args=args)
    return ToolRequest(tool="draft_message", args={"text": f"Patient request: {ask.words}"})


def _lab_tool(ask: Ask) -> ToolRequest:
    """A lab search by concept, with the aggregate and window the ask gives."""
    args = {"concept": ask.concept.concept_id if ask.concept else ""}
    if ask.aggregate:
        args["aggregate"] = ask.aggregate
    if ask.aggregate == "previous":
        args["back"] = str(ask.back)
    if ask.window is not None and ask.window.start is not None:
        args["start"] = ask.window.start.isoformat()
    if ask.window is not None and ask.window.end is not None:
        args["end"] = ask.window.end.isoformat()
    return ToolRequest(tool="observations", args=args)


def _judgement_query(ask: Ask) -> str:
    """What to look up for "is that good or bad?" about a lab: what its results mean and its usual goal."""
    assert ask.concept is not None
    concept = observation_table().concepts.get(ask.concept.concept_id)
    name = concept.display if concept is not None else ask.concept.text
    return f"what does my {name} result mean, what is a normal or goal {name}"


def _actions(decided: Plan, actions: list[Ask]) -> Plan:
    planned = {t.tool for t in decided.tools}
    tools = [
        tool
        for tool in (_action_tool(a) for a in actions)
        if not (tool.tool in NET_TOOLS and tool.tool in planned)
    ]
    seen = set()
    unique = []
    for tool in tools:
        key = (tool.tool, tuple(sorted(tool.args.items())))
        if key not in seen:
            seen.add(key)
            unique.append(tool)
    kept = [t for t in decided.tools if t.tool in KEPT_WITH_ACTIONS]
    requests = {a.request for a in actions}
    intent = decided.intent
    if requests == {"refill"}:
        intent = "refill"
    elif intent not in ("refill", "book", "referral", "cancel_reschedule"):
        intent = (
            "book" if "booking" in requests else "referral" if "referral" in requests else "general_question"
        )
    return decided.model_copy(
        update={
            "intent": intent,
            "confidence": max(decided.confidence, SURE),
            "tools": (*unique, *kept),
        }
    )


def _vaccination_plan(decided: Plan, vaccinations: list[Ask], advice: bool, analysis: Analysis) -> Plan:
    """Read the asked vaccines from the record; keep guidance where the patient also asks what to do.

    A shot is often given at a visit, so the intent classifier tends to read "my last flu shot" as an
    appointment (or medication) question: its record reads stay only where the message names what they
    read ("my flu shot and my next visit").
    """
    question = analysis.text
    named = {kind for kind in READ_KINDS.values() if analysis.of_kind(kind)}
    tools = tuple(
        ToolRequest(tool="immunizations", args={"vaccine": a.concept.concept_id})
        for a in vaccinations
        if a.concept is not None
    )
    others = tuple(t for t in decided.tools if t.tool not in SUPERSEDED and READ_KINDS.get(t.tool) in named)
    guidance = advice or (decided.needs_guidance and decided.intent in GUIDANCE_INTENTS)
    return Plan(
        intent="general_question",
        confidence=SURE,
        tools=(*tools, *others),
        needs_guidance=guidance,
        guidance_query=question if guidance else None,
        reasoner=decided.reasoner,
    )


def steer_by_asks(decided: Plan, asks: tuple[Ask, ...], analysis: Analysis) -> Plan:
    """The plan the typed asks call for, or `decided` unchanged when they say nothing sure."""
    question = analysis.text
    renew = any(m.concept_id == "renew" for m in analysis.of_kind("request"))
    asked_refill = renew or decided.intent != "medication_list"
    actions = [a for a in asks if a.kind == "action_request" and (a.request != "refill" or asked_refill)]
    drafting = any(t.tool.startswith("draft_") for t in decided.tools)
    labs = [a for a in asks if a.kind == "record_query" and a.concept and a.concept.kind == "lab_or_vital"]
    if actions and not (drafting and all(a.request in NET_REQUESTS for a in actions)):
        planned = _actions(decided, actions)
        return planned.model_copy(update={"tools": (*planned.tools, *(_lab_tool(a) for a in labs))})
    demographic = [
        a for a in asks if a.kind == "record_query" and a.concept and a.concept.kind == "demographic"
    ]
    if demographic:
        tools = tuple(
            ToolRequest(tool="patient_summary", args={"fact": a.concept.concept_id})
            for a in demographic
            if a.concept is not None
        ) + tuple(_lab_tool(a) for a in labs)
        others = tuple(t for t in decided.tools if t.tool not in SUPERSEDED)
        return Plan(
            intent="general_question", confidence=SURE, tools=(*tools, *others), reasoner=decided.reasoner
        )
    advice = any(m.concept_id in ("advice", "how_to") for m in analysis.of_kind("request"))
    vaccinations = [
        a for a in asks if a.kind == "record_query" and a.concept and a.concept.kind == "immunization"
    ]
    if vaccinations and not labs:
        return _vaccination_plan(decided, vaccinations, advice, analysis)
    if labs and (decided.intent not in GUIDANCE_INTENTS or not advice):
        tools = tuple(_lab_tool(a) for a in labs)
        others = tuple(t for t in decided.tools if t.tool not in SUPERSEDED)
        judged = [a for a in labs if a.aggregate == JUDGED and a.concept is not None]
        guidance = (decided.needs_guidance and decided.intent == "lab_result") or bool(judged)
        query = _judgement_query(judged[0]) if judged else decided.guidance_query
        update = {
            "intent": "lab_result",
            "confidence": max(decided.confidence, SURE),
            "tools": (*tools, *others),
            "needs_guidance": guidance,
            "guidance_query": query if guidance else None,
        }
        return decided.model_copy(update=update)
    if any(a.kind == "guidance_question" for a in asks):
        return Plan(
            intent="medication_question" if decided.intent == "medication_question" else "general_question",
            confidence=max(decided.confidence, SURE),
            needs_guidance=True,
            guidance_query=with_generics(question),
            reasoner=decided.reasoner,
        )
    read_by_number = [q.concept_id for q in analysis.quantities if q.kind == "lab_or_vital" and q.concept_id]
    if decided.intent == "lab_result" and not labs and read_by_number:
        # "is 140/90 too high for me?": the number names the measurement; read that, not the newest results.
        tools = tuple(
            ToolRequest(tool="observations", args={"concept": c}) for c in dict.fromkeys(read_by_number)
        )
        others = tuple(t for t in decided.tools if t.tool not in SUPERSEDED)
        return decided.model_copy(update={"tools": (*tools, *others)})
    unknown = unknown_terms(question) if not analysis.of_kind("lab_or_vital") else []
    medicine = decided.intent in ("refill", "medication_question", "medication_list", "missed_dose")
    owned = owned_unknown(question, unknown)
    if owned is not None and medicine and decided.intent != "refill":
        # "how is my glibbertine doing": look for that name among the medicines; no advice about a word we
        # do not know, whatever intent its nearest neighbour gave. A refill request keeps its own path (the
        # refill tool says the name is not among the prescriptions and drafts nothing it cannot match).
        lookup = ToolRequest(tool="active_medications", args={UNKNOWN_NAME_ARG: owned})
        return Plan(intent="medication_question", confidence=SURE, tools=(lookup,), reasoner=decided.reasoner)
    if unknown and (decided.intent == "lab_result" or (not medicine and owned is not None)):
        return decided.model_copy(
            update={
                "intent": "lab_result",
                "tools": (),
                "needs_guidance": False,
                "notes": ("not_recognised",),
            }
        )
    return decided
