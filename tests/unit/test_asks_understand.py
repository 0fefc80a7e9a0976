"""Typed asks from patient messages: whose, what kind, which concept, which request (table tests)."""

from __future__ import annotations

import pytest

from agent.asks import understand
from agent.language import analyze


def _asks(message: str) -> list[tuple[str, str | None, str | None]]:
    return [
        (a.kind, a.request, a.concept.concept_id if a.concept else None) for a in understand(analyze(message))
    ]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "What are safe painkillers for diabetic patients over 60?",
            [("guidance_question", None, "painkiller")],
        ),
        ("Is ibuprofen safe for people with kidney disease?", [("guidance_question", None, "ibuprofen")]),
        ("what medications does my wife Uma take?", [("other_person", None, "medications")]),
        ("when is my son's appointment", [("other_person", None, "appointment")]),
        ("can you tell me my mom's A1c", [("other_person", None, "a1c")]),
        (
            "refill furosemide and also my insulin",
            [("action_request", "refill", "furosemide"), ("action_request", "refill", "insulin")],
        ),
        ("I need a new A1c test ordered", [("action_request", "lab_order", "a1c")]),
        ("can you order a cholesterol test for me", [("action_request", "lab_order", "lipid_panel")]),
        ("set me up with a lipid panel", [("action_request", "lab_order", "lipid_panel")]),
        ("book me in for an a1c test", [("action_request", "lab_order", "a1c")]),
        ("book me in for a check", [("action_request", "booking", None)]),
        (
            "make me an appt for a blood pressure recheck",
            [("action_request", "booking", None), ("record_query", None, "blood_pressure")],
        ),
        ("set me up with cardiology", [("action_request", "booking", "cardiology")]),
        ("my potassium is low, order me potassium", [("action_request", "other_action", "potassium")]),
        ("please record my BP 118/77", [("action_request", "reading", "blood_pressure")]),
        ("log my weight 82 kg", [("action_request", "reading", "weight")]),
        ("how old am I?", [("record_query", None, "age")]),
        ("what's my date of birth", [("record_query", None, "date_of_birth")]),
        ("what is my potassium", [("record_query", None, "potassium")]),
        (
            "whats my latest potassium and kidney function",
            [("record_query", None, "potassium"), ("record_query", None, "egfr")],
        ),
        ("my wife says my sugar is high", []),
    ],
)
def test_asks_of_a_message(message: str, expected: list[tuple[str, str | None, str | None]]) -> None:
    assert _asks(message) == expected


def test_a_reading_carries_both_numbers_of_a_blood_pressure() -> None:
    (ask,) = understand(analyze("please record my BP 118/77"))
    assert ask.quantity is not None
    assert (ask.quantity.value, ask.quantity.value2) == (118.0, 77.0)


@pytest.mark.parametrize(
    ("message", "intent", "expected"),
    [
        (
            "What was my last A1c, and when do I see the doctor?",
            "lab_result",
            [("observations", "a1c"), ("upcoming_appointments", None)],
        ),
        (
            "how old am I and when is my next appointment",
            "next_appointment",
            [("patient_summary", "age"), ("upcoming_appointments", None)],
        ),
    ],
)
def test_a_record_ask_replaces_only_the_reads_it_supersedes(
    message: str, intent: str, expected: list[tuple[str, str | None]]
) -> None:
    """The other asks of the message keep the reasoner's tools for them: nothing is dropped."""
    from agent.asks.planning import steer_by_asks
    from agent.models import Plan, ToolRequest

    analysis = analyze(message)
    planned = Plan(
        intent=intent,  # type: ignore[arg-type]
        confidence=0.8,
        tools=(ToolRequest(tool="observations", args={}), ToolRequest(tool="upcoming_appointments", args={})),
    )
    steered = steer_by_asks(planned, understand(analysis), analysis)
    got = [(t.tool, t.args.get("concept") or t.args.get("fact")) for t in steered.tools]
    assert got == expected
