"""The offline composer quotes sentences verbatim and never builds its own."""

from __future__ import annotations

from knowledge.sentences import prose_sentences as _prose_sentences


def test_headings_and_list_markers_are_not_sentences() -> None:
    text = "Step by step: how a referral works\n- Step 1: Your clinician decides with you.\n## When to call\nCall the clinic if the fever lasts more than 3 days."
    assert _prose_sentences(text) == [
        "Step 1: Your clinician decides with you.",
        "Call the clinic if the fever lasts more than 3 days.",
    ]


def test_decimals_do_not_split_sentences() -> None:
    text = "A fever is a temperature of 100.4 F or higher. Rest and drink fluids every few hours."
    assert _prose_sentences(text) == [
        "A fever is a temperature of 100.4 F or higher.",
        "Rest and drink fluids every few hours.",
    ]
