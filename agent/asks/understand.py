"""From the language layer's analysis to typed asks.

Whose a concept is comes from ConText (experiencer, generic); what the patient wants done comes from the
`request` rows of `agent/language/data/terms.yaml`. No vocabulary lives here: a new phrasing is a row.
"""

from __future__ import annotations

from agent.asks.models import Ask, RequestKind
from agent.language.models import Analysis, Kind, Mention
from tools.clock import TimeWindow
from tools.concepts import medication_classes
from tools.concepts.observations import observation_table

RECORD_KINDS: tuple[Kind, ...] = (
    "medication",
    "lab_or_vital",
    "appointment",
    "condition",
    "allergy",
    "immunization",
    "demographic",
)
"""Kinds of concept a record holds: asking about someone else's is asking for their record."""
CLASS_WORDS = frozenset(
    {"medications", "painkiller", "inhaler", "sleeping_pill", *(c.id for c in medication_classes())}
)
"""Medication words that name no one medicine ("my meds"): the planner asks which."""
DEMOGRAPHIC_FACTS = {"own_age": "age", "date_of_birth": "date_of_birth"}
"""Demographic rows the Patient resource answers, and the fact each asks for. Plain `age` ("at what age
should I get the shingles vaccine") is a guidance topic, not the patient's own age."""


def _unique(mentions: list[Mention]) -> list[Mention]:
    """One mention per concept, the first said."""
    seen: dict[str, Mention] = {}
    for mention in mentions:
        seen.setdefault(f"{mention.kind}:{mention.concept_id}", mention)
    return list(seen.values())


def others(analysis: Analysis) -> tuple[Ask, ...]:
    """Asks for someone else's record: a record concept whose experiencer is another person."""
    found = [
        m
        for m in analysis.mentions
        if m.kind in RECORD_KINDS and m.experiencer.who == "other" and not m.generic
    ]
    return tuple(
        Ask(kind="other_person", words=analysis.text, subject=m.experiencer, concept=m)
        for m in _unique(found)
    )


VISIT_REQUESTS: dict[str, RequestKind] = {"book": "booking", "refer": "referral", "message": "message"}
"""`request` rows that ask for a visit, a referral or a note; `change` (to a booked visit) is a message."""


def _test_visit(analysis: Analysis, requests: set[str]) -> bool:
    """Whether a visit request's object is a test ("set me up with a lipid panel"): a test order.

    Only when the message names a lab and a test and no specialty or appointment ("make me an appt for a
    blood pressure recheck", "book me in for a check" and "set me up with cardiology" stay bookings).
    """
    return (
        "book" in requests
        and "lab_test" in requests
        and bool(analysis.of_kind("lab_or_vital"))
        and not analysis.of_kind("specialty")
        and not analysis.of_kind("appointment")
    )


def _visits(analysis: Analysis, requests: set[str]) -> list[Ask]:
    """Visit, referral and message requests, unless the message asks how such a thing works."""
    if "how_to" in requests:
        return []
    if _test_visit(analysis, requests):
        requests = requests - {"book"}
    specialty = next(iter(analysis.of_kind("specialty")), None)
    asks = [
        Ask(kind="action_request", words=analysis.text, concept=specialty, request=kind)
        for row, kind in VISIT_REQUESTS.items()
        if row in requests
    ]
    if "change" in requests and not any(a.request == "message" for a in asks):
        asks.append(Ask(kind="action_request", words=analysis.text, request="message"))
    return asks


def _actions(analysis: Analysis, own: list[Mention]) -> list[Ask]:
    requests = {
        m.concept_id for m in analysis.of_kind("request") if not (m.negated or m.hypothetical or m.historical)
    }
    asks: list[Ask] = []
    if "record" in requests:
        for quantity in analysis.quantities:
            if quantity.kind == "lab_or_vital" and quantity.concept_id:
                concept = next((m for m in own if m.concept_id == quantity.concept_id), None)
                asks.append(
                    Ask(
                        kind="action_request",
                        words=analysis.text,
                        concept=concept,
                        request="reading",
                        quantity=quantity,
                    )
                )
    medicines = [m for m in own if m.kind == "medication" and m.concept_id not in CLASS_WORDS]
    if requests & {"refill", "renew"}:
        asks += [Ask(kind="action_request", words=m.text, concept=m, request="refill") for m in medicines]
    if ("order" in requests or _test_visit(analysis, requests)) and not asks:
        labs = [m for m in own if m.kind == "lab_or_vital"]
        said = [m.text.lower() for m in analysis.of_kind("request") if m.concept_id == "order"]
        as_test = "lab_test" in requests or any(text.endswith(("test", "tested")) for text in said)
        for lab in labs:
            request = "lab_order" if as_test else "other_action"
            asks.append(Ask(kind="action_request", words=analysis.text, concept=lab, request=request))
        asks += [
            Ask(kind="action_request", words=analysis.text, concept=m, request="other_action")
            for m in medicines
        ]
        if not asks and as_test:
            # "order my labs again, the usual ones": a test order that names no test is still an order.
            asks.append(Ask(kind="action_request", words=analysis.text, request="lab_order"))
    return asks + _visits(analysis, requests)


def asks_about(asks: list[Ask], mention: Mention) -> bool:
    """Whether an ask already covers the concept of `mention`."""
    return any(a.concept is not None and a.concept.concept_id == mention.concept_id for a in asks)


def _about(ask: Ask, mention: Mention) -> bool:
    return ask.concept is not None and ask.concept.concept_id == mention.concept_id


def _asked_value(analysis: Analysis) -> bool:
    """Whether the message also asks for a value ("what's my potassium, and order a new one")."""
    return any(m.concept_id in ("question_value",) for m in analysis.of_kind("request"))


def _latest_too(analysis: Analysis, mention: Mention, aggregate: Mention | None) -> bool:
    """Whether the latest value is asked besides the lab's course or previous value.

    "What's my TSH and is it going up or down?" asks the value, then (in a clause of its own) its course:
    both are answered. "What was my potassium before that?" or "my previous A1c" asks only the aggregate.
    """
    return (
        aggregate is not None
        and aggregate.concept_id in ("previous", "trend")
        and aggregate.start >= mention.end
        and _asked_value(analysis)
        and any(mark in f" {analysis.text[mention.end : aggregate.start]} " for mark in (" and ", ","))
    )


def _directed(aggregate: str, concept_id: str) -> str | None:
    """The "best" or "worst" result as the highest or lowest, by which way is better for this lab (None: unknown)."""
    if aggregate not in ("best", "worst"):
        return aggregate
    try:
        better = observation_table().get(concept_id).better
    except KeyError:
        return None
    if better is None:
        return None
    high = (better == "higher") == (aggregate == "best")
    return "highest" if high else "lowest"


def _reported(analysis: Analysis, mention: Mention) -> bool:
    """Whether the message reports the concept ("my sugar is 62", "my sugar is high"), not asks about it."""
    valued = any(q.concept_id == mention.concept_id for q in analysis.quantities)
    stated = any(
        m.kind == "condition" and m.current and m.start <= mention.start < m.end for m in analysis.mentions
    )
    return valued or stated


def _without_aggregate(mention: Mention, aggregate: Mention | None, window: TimeWindow | None) -> Mention:
    """The lab a mention names once an aggregate word inside it is read as the aggregate.

    "average blood sugar" is also a name of the A1c; with a window ("over the last week") it asks for the
    average of the readings in it, and the rest of the words ("blood sugar") name the lab.
    """
    if aggregate is None or window is None or not mention.start <= aggregate.start < mention.end:
        return mention
    rest = (
        mention.text[: aggregate.start - mention.start] + mention.text[aggregate.end - mention.start :]
    ).strip()
    concept = observation_table().find(rest) if rest else None
    if concept is None or concept.id == mention.concept_id:
        return mention
    return mention.model_copy(update={"concept_id": concept.id})


def _the_other(analysis: Analysis, previous_concept: str) -> Ask | None:
    """The partner's latest result for "and the other one?" after one of a pair (HDL, then LDL), or None.

    The pair is data (`other` in the concept table); a lab without one is not guessed at.
    """
    said = next((m for m in analysis.of_kind("request") if m.concept_id == "other_one"), None)
    partner = observation_table().concepts.get(previous_concept)
    if said is None or partner is None or partner.other is None:
        return None
    concept = Mention(
        concept_id=partner.other, kind="lab_or_vital", text=said.text, start=0, end=0, source="thread"
    )
    return Ask(kind="record_query", words=analysis.text, concept=concept)


def follow_up(
    analysis: Analysis,
    previous_concept: str | None,
    previous_back: int = 0,
    previous_window: TimeWindow | None = None,
) -> tuple[Ask, ...]:
    """A lab follow-up that names no lab ("and the one before that?", "is it going up or down?").

    It asks its aggregate of the lab the thread's previous ask was about (`previous_concept`, typed from
    the thread's history); () when the message names a lab itself or there was none before. "The one before
    that" goes one result further back than the previous turn showed (`previous_back`: 0 for the latest).
    A follow-up that names no time keeps the previous turn's window ("highest yesterday?" "and the lowest?").
    """
    if previous_concept is None or analysis.of_kind("lab_or_vital"):
        return ()
    other = _the_other(analysis, previous_concept)
    if other is not None:
        return (other,)
    aggregate = next(iter(analysis.of_kind("aggregate")), None)
    if aggregate is None:
        return ()
    concept = Mention(
        concept_id=previous_concept, kind="lab_or_vital", text=aggregate.text, start=0, end=0, source="thread"
    )
    window = analysis.times[0].window if analysis.times else previous_window
    ask = Ask(
        kind="record_query",
        words=analysis.text,
        concept=concept,
        aggregate=aggregate.concept_id,
        window=window,
        back=previous_back + 1,
    )
    return (ask,)


def understand(analysis: Analysis) -> tuple[Ask, ...]:
    """The message's asks: someone else's record, actions, demographic facts, guidance about people.

    Only what the typed understanding is sure of is returned; the rest of the message is left to the
    planner (an empty tuple changes nothing).
    """
    asks = list(others(analysis))
    own = _unique([m for m in analysis.mentions if m.kind in RECORD_KINDS and m.about_patient])
    generic = [m for m in analysis.mentions if m.kind in RECORD_KINDS and m.generic]
    asks += _actions(analysis, own)
    aggregate = next(iter(analysis.of_kind("aggregate")), None)
    window = analysis.times[0].window if analysis.times else None
    for mention in own:
        if mention.kind == "lab_or_vital" and (
            _asked_value(analysis) or not (asks_about(asks, mention) or _reported(analysis, mention))
        ):
            concept = _without_aggregate(mention, aggregate, window)
            wanted = _directed(aggregate.concept_id, concept.concept_id) if aggregate else None
            if _latest_too(analysis, mention, aggregate):
                asks.append(Ask(kind="record_query", words=analysis.text, concept=concept, window=window))
            asks.append(
                Ask(
                    kind="record_query",
                    words=analysis.text,
                    concept=concept,
                    aggregate=wanted,
                    window=window,
                )
            )
        if mention.kind == "immunization":  # "when was my last flu shot?": what the record shows
            asks.append(Ask(kind="record_query", words=analysis.text, concept=mention))
        fact = DEMOGRAPHIC_FACTS.get(mention.concept_id) if mention.kind == "demographic" else None
        if fact is not None:
            concept = mention.model_copy(update={"concept_id": fact})
            asks.append(Ask(kind="record_query", words=analysis.text, concept=concept))
    if generic and not own and not asks:
        asks.append(Ask(kind="guidance_question", words=analysis.text, concept=generic[0]))
    return tuple(asks)
