"""Structure checks for the hand-written chat evaluation suites (evals/suites/*.jsonl).

The suites are data a clinical lead edits by hand, so a typo fails silently at run time: a gold
article id that names no article, a tool name the agent does not have, a regex that does not
compile, or an `escalate` value the runner does not know. These tests catch that when a file is
saved, and keep each suite at the size and shape its metrics rely on.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Literal

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT / "evals" / "suites"
CORPUS = ROOT / "knowledge" / "corpus"

CHAT_SUITES = ("safety", "grounded_qa", "record", "actions", "adversarial")
READ_TOOLS = frozenset(
    {
        "patient_summary",
        "active_medications",
        "conditions",
        "allergies",
        "observations",
        "upcoming_appointments",
        "past_appointments",
        "care_plans",
        "free_slots",
    }
)
VISIT_AND_REFILL_DRAFTS = frozenset({"draft_refill", "draft_booking", "draft_referral", "draft_message"})
DRAFT_TOOLS = VISIT_AND_REFILL_DRAFTS | {"draft_lab_order", "draft_reading"}
TOOLS = READ_TOOLS | DRAFT_TOOLS
PLACEHOLDERS = frozenset(
    {
        "patient.name",
        "patient.given",
        "patient.next_appointment_date",
        "patient.medications",
        "patient.first_medication",
        "patient.last_a1c",
    }
)
PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_.]+)\s*\}\}")
EMERGENCY_INSTRUCTION = "Call 911 now"
ESCALATE_LEVELS = frozenset({"routine", "urgent", "emergent"})
"""Besides `null` (don't care) and `false` (must not escalate); pydantic alone would accept `0`."""


class Message(BaseModel):
    """One patient turn."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user"]
    content: str = Field(min_length=1)


class HasMedication(BaseModel):
    """Any patient with an active prescription whose text contains this string."""

    model_config = ConfigDict(extra="forbid")
    has_medication: str = Field(min_length=3)


class HasCondition(BaseModel):
    """Any patient with a condition whose text contains this string."""

    model_config = ConfigDict(extra="forbid")
    has_condition: str = Field(min_length=3)


class Expect(BaseModel):
    """What a clinic requires of the answer; every key optional (strict: `0` is not `false`)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    escalate: Literal[False, "routine", "urgent", "emergent"] | None = None
    abstain: bool | None = None
    cite: list[str] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)
    not_facts: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    no_tools: list[str] = Field(default_factory=list)


class ChatItem(BaseModel):
    """One line of a chat suite."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    kind: Literal["chat"]
    category: str = Field(min_length=1)
    patient: HasMedication | HasCondition | str | None
    messages: list[Message] = Field(min_length=1)
    expect: Expect


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _load(suite: str) -> list[ChatItem]:
    return [ChatItem.model_validate_json(line) for line in _lines(SUITES / f"{suite}.jsonl")]


def _article_ids() -> set[str]:
    ids: set[str] = set()
    for path in CORPUS.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---"):
            front = yaml.safe_load(text.split("---", 2)[1]) or {}
            if isinstance(front, dict) and front.get("id"):
                ids.add(str(front["id"]))
    return ids


def _regexes(item: ChatItem) -> list[str]:
    return [*item.expect.facts, *item.expect.not_facts]


@pytest.fixture(scope="module")
def suites() -> dict[str, list[ChatItem]]:
    return {name: _load(name) for name in CHAT_SUITES}


@pytest.mark.parametrize("suite", CHAT_SUITES)
def test_every_line_is_a_json_object_of_the_chat_schema(suite: str) -> None:
    lines = _lines(SUITES / f"{suite}.jsonl")
    assert lines, suite
    for number, line in enumerate(lines, 1):
        raw = json.loads(line)
        assert isinstance(raw, dict), f"{suite}:{number}"
        escalate = raw.get("expect", {}).get("escalate")
        assert escalate is None or escalate is False or escalate in ESCALATE_LEVELS, f"{suite}:{number}"
        ChatItem.model_validate_json(line)


def test_ids_are_unique_across_every_suite() -> None:
    ids = Counter(
        str(json.loads(line)["id"]) for path in sorted(SUITES.glob("*.jsonl")) for line in _lines(path)
    )
    assert [i for i, n in ids.items() if n > 1] == []


def test_suites_meet_their_minimum_sizes(suites: dict[str, list[ChatItem]]) -> None:
    grounded = suites["grounded_qa"]
    answerable = [i for i in grounded if i.expect.abstain is False and i.expect.cite]
    unanswerable = [i for i in grounded if i.expect.abstain is True]
    assert len(suites["safety"]) >= 70
    assert len(answerable) >= 100
    assert len(unanswerable) >= 20
    assert len(suites["record"]) >= 60
    assert len(suites["actions"]) >= 40
    assert len(suites["adversarial"]) >= 40


def test_cited_articles_exist_in_the_corpus(suites: dict[str, list[ChatItem]]) -> None:
    known = _article_ids()
    assert len(known) >= 60
    unknown = {(i.id, c) for items in suites.values() for i in items for c in i.expect.cite if c not in known}
    assert unknown == set()


def test_tool_names_are_tools_the_agent_has(suites: dict[str, list[ChatItem]]) -> None:
    bad = {
        (i.id, t)
        for items in suites.values()
        for i in items
        for t in [*i.expect.tools, *i.expect.no_tools]
        if t not in TOOLS
    }
    assert bad == set()
    clash = [i.id for items in suites.values() for i in items if set(i.expect.tools) & set(i.expect.no_tools)]
    assert clash == []


def test_regexes_compile_and_use_known_placeholders(suites: dict[str, list[ChatItem]]) -> None:
    for items in suites.values():
        for item in items:
            for pattern in _regexes(item):
                names = set(PLACEHOLDER.findall(pattern))
                assert names <= PLACEHOLDERS, (item.id, names - PLACEHOLDERS)
                filled = PLACEHOLDER.sub("sample value", pattern)
                assert "{{" not in filled and "}}" not in filled, (item.id, pattern)
                re.compile(filled)


def test_emergencies_expect_emergent_escalation_and_the_right_number(
    suites: dict[str, list[ChatItem]],
) -> None:
    emergencies = [i for i in suites["safety"] if i.category.startswith("emergency/")]
    assert len(emergencies) >= 40
    for item in emergencies:
        assert item.expect.escalate == "emergent", item.id
        assert any(n in f for f in item.expect.facts for n in ("911", "988")), item.id
    suicidal = [i for i in emergencies if i.category == "emergency/suicidal"]
    assert suicidal and all("988" in i.expect.facts for i in suicidal)


def test_look_alikes_can_never_pass_as_emergencies(suites: dict[str, list[ChatItem]]) -> None:
    look_alikes = [i for i in suites["safety"] if i.category.startswith("look-alike")]
    assert len(look_alikes) >= 20
    for item in look_alikes:
        assert item.expect.escalate in (None, False), item.id
        assert EMERGENCY_INSTRUCTION in item.expect.not_facts, item.id
    urgent = [i for i in suites["safety"] if i.category.startswith("urgent/")]
    assert len(urgent) >= 10
    assert all(i.expect.escalate == "urgent" for i in urgent)


def test_record_questions_read_without_drafting_or_escalating(suites: dict[str, list[ChatItem]]) -> None:
    for item in suites["record"]:
        assert item.patient is not None, item.id
        assert item.expect.escalate is False, item.id
        assert item.expect.tools and set(item.expect.tools) <= READ_TOOLS, item.id
        assert VISIT_AND_REFILL_DRAFTS <= set(item.expect.no_tools), item.id


def test_actions_draft_and_wait_for_routine_approval(suites: dict[str, list[ChatItem]]) -> None:
    kinds = Counter(t for i in suites["actions"] for t in i.expect.tools if t in DRAFT_TOOLS)
    assert set(kinds) == DRAFT_TOOLS
    for item in suites["actions"]:
        assert item.expect.escalate == "routine", item.id
        assert set(item.expect.tools) & DRAFT_TOOLS, item.id
    refills = [i for i in suites["actions"] if "draft_refill" in i.expect.tools]
    assert all(isinstance(i.patient, HasMedication) for i in refills)


def test_adversarial_items_refuse_in_the_expected_way(suites: dict[str, list[ChatItem]]) -> None:
    by_category: dict[str, list[ChatItem]] = {}
    for item in suites["adversarial"]:
        by_category.setdefault(item.category, []).append(item)
    assert {"injection", "other-patient", "invented-drug", "dose-change"} <= set(by_category)
    for item in by_category["other-patient"]:
        assert {"active_medications", "upcoming_appointments"} <= set(item.expect.no_tools), item.id
    for item in by_category["invented-drug"] + by_category.get("invented-condition", []):
        assert item.expect.abstain is True, item.id
    for item in by_category["dose-change"]:
        assert item.expect.escalate == "urgent", item.id
        assert item.expect.not_facts, item.id


def test_unanswerable_questions_cite_nothing(suites: dict[str, list[ChatItem]]) -> None:
    for item in suites["grounded_qa"]:
        if item.expect.abstain:
            assert item.expect.cite == [], item.id
        else:
            assert item.expect.abstain is False and len(item.expect.cite) == 1, item.id
