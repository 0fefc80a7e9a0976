"""Issue 13's screen fixes, each as a class: readings that state a concept, "N over M" blood pressure,
suspected low sugar, nothing by mouth when swallowing is unsafe, a child's ingestion however the medicine is
named, stroke by a drooping mouth alone, and a classifier that does not read negated words as happening."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.intents import IntentClassifier
from agent.policy import Policy, SafetyScreen
from knowledge.embedder import load_embedder
from knowledge.vector_cache import CachedEmbedder
from tests.fixtures.agent import VECTOR_CACHE


@pytest.fixture(scope="module")
def embedder() -> CachedEmbedder:
    return CachedEmbedder(load_embedder(), VECTOR_CACHE)


@pytest.fixture(scope="module")
def screen(embedder: CachedEmbedder) -> Iterator[SafetyScreen]:
    result = SafetyScreen(Policy.load(), embedder, ordinary=IntentClassifier(embedder).exemplars)
    result.warm()
    yield result


@pytest.mark.parametrize(
    ("message", "flag"),
    [
        ("temp 103.1 and my neck is too stiff to look down", "meningitis-signs"),
        ("temperature 101 since yesterday and now she's not making sense", "sepsis-signs"),
        ("his blood pressure was 205 over 125 and he is confused", "high-blood-pressure-with-symptoms"),
        ("the corner of her mouth is drooping", "stroke-signs"),
        ("his words are all garbled all of a sudden", "stroke-signs"),
        ("I had a stroke in 2020 and it's happening again", "stroke-signs"),
        ("my stools are black and I take xarelto", "acute-abdomen"),
        ("my sister says she is going to kill herself", "suicidal-thoughts"),
    ],
)
def test_families_fire_as_concepts(screen: SafetyScreen, message: str, flag: str) -> None:
    result = screen.check(message, medications=lambda: [])
    assert (result.level, result.red_flag) == ("emergent", flag), result


def test_a_number_belongs_to_the_measurement_not_the_symptom_after_it(screen: SafetyScreen) -> None:
    result = screen.check("checked my blood sugar, I'm at 61 and trembling")
    assert result.protocol == "hypoglycemia"
    assert (result.instructions or "").startswith("Take 15 grams of fast sugar now")


def test_low_sugar_is_suspected_from_insulin_and_two_symptoms(screen: SafetyScreen) -> None:
    suspected = screen.check("my dad is on insulin and he's shaky and sweating a lot")
    assert (suspected.level, suspected.protocol) == ("urgent", "hypoglycemia")
    one_symptom = screen.check("my dad is on insulin and he's sweating a lot")
    assert one_symptom.protocol is None


def test_nothing_by_mouth_when_the_person_cannot_swallow(screen: SafetyScreen) -> None:
    result = screen.check("her sugar is 33 and she can't drink anything")
    assert (result.level, result.protocol) == ("emergent", "hypoglycemia_911")
    first = (result.instructions or "").split(". ")[0]
    assert first == "Call 911 now" and "fast sugar" not in (result.instructions or "")


@pytest.mark.parametrize(
    "message",
    ["my granddaughter swallowed two of my water pills", "my toddler ate one of his grandma's heart pills"],
)
def test_a_child_taking_a_medicine_is_an_ingestion(screen: SafetyScreen, message: str) -> None:
    result = screen.check(message, medications=lambda: [])
    assert (result.level, result.red_flag) == ("emergent", "child-ingestion")
    assert "1-800-222-1222" in (result.instructions or "")


@pytest.mark.parametrize(
    "message",
    [
        "what should I do if my grandson swallows one of my pills?",
        "what does a rash with a fever mean",
        "how can I tell a cold from meningitis",
        "not short of breath, no chest pain, just sleepy after lunch",
    ],
)
def test_questions_and_negations_stay_non_emergent(screen: SafetyScreen, message: str) -> None:
    assert screen.check(message, medications=lambda: []).level != "emergent"


def test_editing_the_reading_rule_in_the_yaml_changes_the_outcome(embedder: CachedEmbedder) -> None:
    """The temperature rule is data: without its `asserts: fever`, "temp 102" is no longer a fever."""
    shipped = Policy.load()
    without = shipped.model_copy(update={"readings": [r for r in shipped.readings if r.asserts != "fever"]})
    message = "temp 102 and I'm confused and breathing fast"
    with_rule = SafetyScreen(shipped, embedder).check(message, medications=lambda: [])
    no_rule = SafetyScreen(without, embedder).check(message, medications=lambda: [])
    assert with_rule.red_flag == "sepsis-signs"
    assert no_rule.red_flag != "sepsis-signs"
