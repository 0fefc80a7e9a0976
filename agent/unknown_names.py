"""A name no table knows, said as the patient's own ("my glibbertine"), checked against their medicines.

The vocabulary (`agent.vocabulary`) cannot know every drug a record may hold, so an unknown own name under a
medicine intent is looked up among the patient's active prescriptions by that exact name before anything is
said: found, the medicine is given; not found, the answer says the name is not recognised and not among
them. It is never answered with missed-dose advice or a guidance search about a word we do not know.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from agent.matching import match_medication
from tools.views import Medication

UNKNOWN_NAME_ARG = "unknown_name"
"""The `active_medications` argument naming the unknown word to look for."""


def owned_unknown(question: str, unknown: Sequence[str]) -> str | None:
    """The first unknown word said as the patient's own ("my zorblex"), or None."""
    words = question.lower().split()
    for word, nxt in itertools.pairwise(words):
        name = nxt.strip("?.,!")
        if word == "my" and name in unknown:
            return name
    return None


def named_in_record(name: str, medications: Sequence[Medication]) -> list[Medication]:
    """The patient's medicines that `name` names (by generic or brand, tolerating a typo)."""
    return [m for m in medications if match_medication(name, [m]) is not None]
