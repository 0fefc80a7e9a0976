"""Swapped sides and flipped directions: fully covered sentences that say the opposite of their source."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.grounding.lexicon import load_drug_lexicon
from agent.grounding.relations import RelationTables, relation_conflicts
from agent.grounding.tokens import read_tokens
from agent.grounding.verifier import CONFLICT_WEIGHT, Verifier

LEXICON = load_drug_lexicon()


def conflicts(claim: str, source: str) -> list[str]:
    found = relation_conflicts(read_tokens(claim, LEXICON), [read_tokens(source, LEXICON)])
    return [c.kind for c in found]


@pytest.mark.parametrize(
    ("claim", "source", "kinds"),
    [
        # swapped sides
        (
            "Metformin is preferred over insulin for most adults.",
            "For most adults, insulin is preferred over metformin.",
            ["swapped"],
        ),
        (
            "Metformin is preferred over insulin for most adults.",
            "For most adults, metformin is preferred over insulin.",
            [],
        ),
        (
            "Glucophage is preferred over insulin.",
            "Metformin is preferred over insulin.",
            [],
        ),  # brand = generic
        (
            "High blood pressure causes kidney damage.",
            "Kidney damage causes high blood pressure.",
            ["swapped"],
        ),
        (
            "High blood pressure causes kidney damage.",
            "Kidney damage can be caused by high blood pressure.",
            [],
        ),
        (
            "Kidney damage is caused by high blood pressure.",
            "High blood pressure leads to kidney damage.",
            [],
        ),
        (
            "Kidney damage is caused by high blood pressure.",
            "Kidney damage leads to high blood pressure.",
            ["swapped"],
        ),
        ("Take levothyroxine before breakfast.", "Take breakfast before levothyroxine.", ["swapped"]),
        ("Take levothyroxine before breakfast.", "Eat breakfast after taking levothyroxine.", []),
        ("Aspirin is more effective than placebo.", "Placebo is more effective than aspirin.", ["swapped"]),
        ("Aspirin is more effective than placebo.", "Placebo is less effective than aspirin.", []),
        ("Aspirin is less effective than placebo.", "Placebo is less effective than aspirin.", ["swapped"]),
        (
            "Ibuprofen is usually less safe than acetaminophen.",
            "Acetaminophen is usually safer than ibuprofen.",
            [],
        ),
        (
            "Ibuprofen is usually safer than acetaminophen.",
            "Acetaminophen is usually safer than ibuprofen.",
            ["swapped"],
        ),
        (
            "Codeine is converted to morphine in the liver.",
            "Morphine is converted to codeine in the liver.",
            ["swapped"],
        ),
        # flipped directions
        (
            "Daily walking raised systolic blood pressure.",
            "Daily walking lowered resting systolic blood pressure by 6 mmHg.",
            ["direction"],
        ),
        (
            "Daily walking lowered systolic blood pressure.",
            "Daily walking lowered resting systolic blood pressure.",
            [],
        ),
        (
            "Daily walking reduced systolic blood pressure.",
            "Systolic blood pressure fell with daily walking.",
            [],
        ),
        ("Nausea is common with metformin.", "Nausea is rare with metformin.", ["direction"]),
        ("Symptoms improved with rest.", "Symptoms worsened with rest.", ["direction"]),
        ("Keep the insulin below 30 degrees.", "Keep the insulin above 30 degrees.", ["direction"]),
        # the same scale about different things is no conflict
        ("Walking lowered blood pressure.", "Walking raised heart rate and lowered blood pressure.", []),
        ("Metformin raised nothing.", "Sodium intake lowered blood pressure.", []),
    ],
)
def test_relation_and_direction_table(claim: str, source: str, kinds: list[str]) -> None:
    assert conflicts(claim, source) == kinds


def test_a_swapped_sentence_fails_the_verifier_with_a_reason_though_fully_covered() -> None:
    source = "For adults with type 2 diabetes, metformin is preferred over insulin as the first medicine."
    verdict = Verifier().check(
        "For adults with type 2 diabetes, insulin is preferred over metformin as the first medicine.",
        [source],
    )
    assert verdict.coverage == 1.0 and not verdict.supported
    assert verdict.score == pytest.approx(CONFLICT_WEIGHT * verdict.coverage)
    assert verdict.reason.startswith("contradicts the cited text: sides swapped: ")
    assert [c.kind for c in verdict.conflicts] == ["swapped"]
    assert (
        Verifier()
        .check("For adults with type 2 diabetes, metformin is preferred over insulin.", [source])
        .supported
    )


def test_a_missing_atom_still_ranks_below_a_conflict() -> None:
    source = "Daily walking lowered systolic blood pressure by 6 mmHg."
    flipped = Verifier().check("Daily walking raised systolic blood pressure by 6 mmHg.", [source])
    wrong_number = Verifier().check("Daily walking lowered systolic blood pressure by 9 mmHg.", [source])
    assert 0.0 == wrong_number.score < flipped.score < Verifier().threshold


def test_a_word_on_two_poles_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "relations.yaml"
    table.write_text(
        "relations: [{name: cause, forward: [causes]}]\n"
        "directions: [{name: a, up: [more], down: [less]}, {name: b, up: [less], down: [fewer]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="'less' is on two poles"):
        RelationTables.load(table)
