"""Negation flips and hedges made certain, read with ConText (the component the safety screen shares)."""

from __future__ import annotations

import pytest

from agent.grounding.context_qualifiers import claim_rules, context_qualifiers
from agent.grounding.qualifiers import Qualified
from agent.grounding.tokens import Tokens
from agent.grounding.verifier import CONFLICT_WEIGHT, Verifier
from agent.language.context import shipped_rules


@pytest.mark.parametrize(
    ("claim", "source", "kinds"),
    [
        # negation flips, both ways
        ("Metformin causes weight gain.", "Metformin does not cause weight gain.", ["direction", "negation"]),
        ("Metformin does not cause weight gain.", "Metformin causes weight gain.", ["direction", "negation"]),
        (
            "Take two doses at the same time to make up for a missed dose.",
            "Do not take two doses at the same time to make up for a missed dose.",
            ["negation"],
        ),
        (
            "Genotype-guided warfarin dosing improved time in therapeutic range.",
            "Genotype-guided warfarin dosing did not improve time in therapeutic range.",
            ["direction", "negation"],
        ),
        (  # "cannot" is one word to the verifier, "can" + "not" to spaCy; the best-aligned sentence decides
            "The flu vaccine can give you the flu.",
            "Adults should get a flu vaccine every year. The vaccine cannot give you the flu.",
            ["negation"],
        ),
        # the same denial, worded differently, agrees
        ("Metformin does not cause weight gain.", "Metformin does not cause weight gain in most people.", []),
        (
            "It's uncommon for bronchitis to turn into pneumonia.",
            "Bronchitis does not usually turn into pneumonia.",
            [],
        ),
        ("Warfarin raises the risk of bleeding.", "Warfarin does not lower the risk of bleeding.", []),
        # a negation on another part of the source is not a flip
        (
            "Cetirizine and diphenhydramine are both antihistamines.",
            "It is not recommended to take cetirizine and diphenhydramine together, as both are antihistamines.",
            [],
        ),
        # hedges made certain
        ("Daily walking lowers blood pressure.", "Daily walking may lower blood pressure.", ["hedge"]),
        (
            "Daily walking always lowers blood pressure.",
            "Daily walking is associated with lower blood pressure.",
            ["hedge"],
        ),
        ("Daily walking may lower blood pressure.", "Daily walking may lower blood pressure.", []),
        ("Daily walking might lower blood pressure.", "Daily walking may lower blood pressure.", []),
        (
            "Daily walking lowers blood pressure.",
            "Daily walking can lower blood pressure.",
            [],
        ),  # "can" is no hedge
        (
            "Daily walking lowers blood pressure.",
            "Daily walking lowers blood pressure; it may also help sleep.",
            [],
        ),
    ],
)
def test_negation_and_hedge_table(claim: str, source: str, kinds: list[str]) -> None:
    verdict = Verifier().check(claim, [source])
    assert sorted(c.kind for c in verdict.conflicts) == kinds, verdict.reason
    assert verdict.supported is (not kinds and verdict.coverage >= Verifier().threshold)
    if kinds:
        assert verdict.score == pytest.approx(CONFLICT_WEIGHT * verdict.coverage)


def test_the_negation_rules_are_the_screens_own() -> None:
    shared = {(r.literal, r.direction) for r in shipped_rules().rules if r.category == "NEGATED_EXISTENCE"}
    mine = {(r.literal, r.direction) for r in claim_rules().rules if r.category == "NEGATED_EXISTENCE"}
    assert shared <= mine  # every negation the screen knows, plus the word-negatives of clinical prose
    assert {r.category for r in claim_rules().rules} == {"NEGATED_EXISTENCE", "POSSIBLE", "ANY"}


class NothingQualified:
    """A `QualifierReader` that sees no negation and no hedge anywhere."""

    def read(self, tokens: Tokens) -> Qualified:
        n = len(tokens.words)
        return Qualified((False,) * n, (False,) * n, (False,) * n, (0,) * n)


def test_the_reader_is_a_protocol_the_verifier_can_run_without() -> None:
    claim, source = "Metformin causes weight gain.", "Metformin does not cause weight gain."
    assert Verifier(qualifiers=NothingQualified()).check(claim, [source]).conflicts == ()
    assert Verifier(qualifiers=None).check(claim, [source]).supported
    assert [c.kind for c in Verifier(qualifiers=context_qualifiers()).check(claim, [source]).conflicts] == [
        "direction",
        "negation",
    ]
