"""A lab's name alone is a topic, not a report: "how is my hgb" asks about a result, it says nothing is wrong.

The screen's exemplar backstop only judges messages that report something happening now; a lab name with a
reading ("sugar is 38") or beside a stated condition or symptom still counts.
"""

from __future__ import annotations

import pytest

from agent.language import analyze, language_pipeline
from agent.safety.findings import findings


@pytest.mark.parametrize(
    "message",
    [
        "how is my hgb, the last one",
        "set me up with a lipid panel",
        "what was my last potassium",
        "can you order an a1c for me",
    ],
)
def test_a_lab_name_alone_is_not_a_report(message: str) -> None:
    assert not findings(analyze(message, nlp=language_pipeline())).reports_now


@pytest.mark.parametrize(
    "message",
    [
        "my sugar is 38",
        "bp 190/120 right now",
        "my sugar is low and I feel shaky",
        "what was my potassium, I feel dizzy",
    ],
)
def test_a_lab_with_a_reading_or_beside_a_symptom_is_a_report(message: str) -> None:
    assert findings(analyze(message, nlp=language_pipeline())).reports_now
