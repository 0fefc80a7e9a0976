"""Lab questions become typed asks with their aggregate and window; follow-ups take the thread's lab."""

from __future__ import annotations

from datetime import datetime

import pytest

from agent.asks import understand
from agent.asks.understand import follow_up
from agent.grounding.render import render_resource_text
from agent.grounding.verifier import Verifier
from agent.language import analyze
from tools.clock import Clock

CLOCK = Clock("UTC", now=datetime(2026, 12, 7, 12, 0))


@pytest.mark.parametrize(
    ("message", "concept", "aggregate", "start"),
    [
        ("what was my potassium before that?", "potassium", "previous", None),
        ("what was my average blood sugar over the last week?", "glucose", "average", "2026-11-30"),
        ("what was my average blood sugar over the last 30 days", "glucose", "average", "2026-11-07"),
        ("what was my highest blood sugar in the last 30 days", "glucose", "highest", "2026-11-07"),
        ("What's my sugar been averaging lately?", "glucose", "average", None),
        ("what does my bp average out at these days", "blood_pressure", "average", None),
        ("my avg glucose over the past 2 weeks", "glucose", "average", "2026-11-23"),
        ("is my weight going up or down?", "weight", "trend", None),
        ("what's my latest A1c", "a1c", None, None),
    ],
)
def test_a_lab_question_carries_its_aggregate_and_window(
    message: str, concept: str, aggregate: str | None, start: str | None
) -> None:
    asks = [a for a in understand(analyze(message, clock=CLOCK)) if a.kind == "record_query"]
    assert len(asks) == 1, asks
    ask = asks[0]
    assert ask.concept is not None and ask.concept.concept_id == concept
    assert ask.aggregate == aggregate
    shown = ask.window.start.date().isoformat() if ask.window and ask.window.start else None
    assert shown == start


@pytest.mark.parametrize(
    ("message", "aggregate"), [("and the one before that?", "previous"), ("is it going up or down?", "trend")]
)
def test_a_follow_up_asks_about_the_threads_previous_lab(message: str, aggregate: str) -> None:
    analysis = analyze(message, clock=CLOCK)
    assert understand(analysis) == ()
    (ask,) = follow_up(analysis, "inr")
    assert ask.concept is not None and ask.concept.concept_id == "inr"
    assert ask.aggregate == aggregate
    assert follow_up(analysis, None) == (), "nothing before: nothing to follow up"
    (further,) = follow_up(analysis, "inr", 1)
    assert further.back == 2, "a second 'one before that' goes one further back"
    assert follow_up(analyze("and my potassium before that?", clock=CLOCK), "inr") == ()


@pytest.mark.parametrize(
    ("previous", "message", "other"),
    [
        ("hdl", "and the other one?", "ldl"),
        ("ldl", "what about the other one", "hdl"),
        ("systolic_bp", "and the other number?", "diastolic_bp"),
        ("alt", "how about the other one", "ast"),
    ],
)
def test_the_other_one_after_one_of_a_pair_asks_about_its_partner(
    previous: str, message: str, other: str
) -> None:
    analysis = analyze(message, clock=CLOCK)
    assert understand(analysis) == ()
    (ask,) = follow_up(analysis, previous)
    assert ask.kind == "record_query" and ask.concept is not None and ask.concept.concept_id == other
    assert ask.aggregate is None, "the other one's latest result"


def test_the_other_one_of_a_lab_without_a_partner_is_not_guessed() -> None:
    assert follow_up(analyze("and the other one?", clock=CLOCK), "potassium") == ()


@pytest.mark.parametrize(
    ("code", "name"), [("K", "potassium"), ("GLU", "blood sugar (glucose)"), ("MG", "magnesium")]
)
def test_a_short_local_lab_code_is_named_by_the_concept_table(code: str, name: str) -> None:
    body = {
        "resourceType": "Observation",
        "code": {"coding": [{"system": "urn:example:local-lab", "code": code}], "text": code},
        "effectiveDateTime": "2026-12-04T08:00:00Z",
        "valueQuantity": {"value": 4.3, "unit": "mmol/L"},
    }
    text = render_resource_text(body)
    verifier = Verifier()
    for sentence in (
        f"Your {code} result was 4.3 mmol/L on December 4, 2026.",
        f"Your {name} result was 4.3 mmol/L on December 4, 2026.",
    ):
        assert verifier.check(sentence, [text]).supported, (sentence, text)
    assert not verifier.check(f"Your {code} result was 4.8 mmol/L on December 4, 2026.", [text]).supported
