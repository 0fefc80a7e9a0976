"""A name nobody knows ("my glibbertine") is checked against the patient's medicines and said honestly.

Never routed to missed-dose advice or a guidance search: the intent classifier's nearest neighbour for an
unknown word is noise, so the plan reads the active medicines for that exact name, and the answer says the
name is not recognised and not among them (or gives the medicine, if the record has one by that name).
"""

from __future__ import annotations

import pytest

from agent.asks import understand
from agent.asks.planning import steer_by_asks
from agent.language import analyze
from agent.models import Plan, ToolRequest
from agent.responses import responses
from agent.unknown_names import named_in_record
from tests.fixtures.views import medication


@pytest.mark.parametrize(
    ("message", "intent", "name"),
    [
        ("how is my glibbertine doing", "missed_dose", "glibbertine"),
        ("what was my snorfase", "missed_dose", "snorfase"),
        ("did I take my glibbertine", "medication_question", "glibbertine"),
        ("what was my zorblex level", "lab_result", None),
        ("refill my glibbertine", "refill", "refill"),
    ],
)
def test_an_unknown_own_name_reads_the_medicines_for_it(message: str, intent: str, name: str | None) -> None:
    analysis = analyze(message)
    planned = Plan(
        intent=intent,  # type: ignore[arg-type]
        confidence=0.35,
        tools=(ToolRequest(tool="active_medications", args={}),),
        needs_guidance=True,
        guidance_query=message,
    )
    steered = steer_by_asks(planned, understand(analysis), analysis)
    if name == "refill":  # a refill request keeps the refill tool's own answer
        assert steered == planned
        return
    assert not steered.needs_guidance
    if name is None:  # a test name: not recognised, nothing read
        assert steered.notes == ("not_recognised",) and steered.tools == ()
        return
    assert steered.intent == "medication_question"
    assert [(t.tool, t.args) for t in steered.tools] == [("active_medications", {"unknown_name": name})]


def test_a_name_is_found_only_among_the_patients_own_medicines() -> None:
    record = [medication("metformin 500 MG Oral Tablet"), medication("glibbertine 5 MG Oral Tablet")]
    assert [m.name for m in named_in_record("glibbertine", record)] == ["glibbertine 5 MG Oral Tablet"]
    assert named_in_record("snorfase", record) == []


def test_the_answer_says_not_recognised_and_not_in_the_record_without_saying_not_found() -> None:
    text = responses().not_recognised_medicine
    assert "don't recognise" in text and "in your record" in text
    assert "couldn't find" not in text.lower()
