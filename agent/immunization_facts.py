"""Vaccination facts from the record: which vaccine, given when, citing the Immunization.

A vaccine asked for by name ("my last flu shot") is found by its CVX code, or, in records coded locally or
with text only, by the words of its name (`tools/concepts/vaccines.yaml`). Its absence is said, never
guessed: a shot given at a pharmacy may simply not be recorded here.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.models import Fact
from agent.text import contains_phrase, normalise
from tools.concepts import Vaccine, vaccines
from tools.views import Immunization

ALL_VACCINES = "any"
"""The vaccine id that asks for every vaccination ("what vaccines have I had?")."""
MOST_SHOWN = 8
"""A whole vaccination history is summarised newest first, this many at most."""


def is_vaccine(immunization: Immunization, vaccine: Vaccine) -> bool:
    """Whether a recorded vaccination is `vaccine`: by CVX code, else by the words of its name."""
    if vaccine.id == ALL_VACCINES:
        return True
    if immunization.cvx is not None and immunization.cvx in vaccine.cvx:
        return True
    name = normalise(immunization.vaccine)
    return any(contains_phrase(name, word) for word in vaccine.record_words)


def immunization_fact(immunization: Immunization) -> Fact:
    """One vaccination, as the patient is told it (the vaccine named as the record names it)."""
    when = immunization.occurred
    day = f"on {when:%B} {when.day}, {when.year}" if when else "with no date recorded"
    return Fact(
        text=f"Your record shows a vaccination {day}: {immunization.vaccine}.",
        source=immunization.source,
        title="Your vaccinations",
    )


def immunization_facts(given: Sequence[Immunization], vaccine_id: str) -> tuple[list[Fact], str | None]:
    """Facts for the asked vaccine (its latest dose first), or a note saying none is recorded."""
    vaccine = vaccines().get(vaccine_id or ALL_VACCINES) or vaccines()[ALL_VACCINES]
    matching = [i for i in given if is_vaccine(i, vaccine)]
    if not matching:
        return [], "no_vaccinations" if vaccine.id == ALL_VACCINES else "no_vaccine"
    shown = matching[:MOST_SHOWN] if vaccine.id == ALL_VACCINES else matching[:2]
    return [immunization_fact(i) for i in shown], None
