"""Which chronic problems each patient is meant to have, decided before any record is written.

Problems are drawn by age-band prevalence, then topped up so that a cohort of a dozen or more
covers every problem in the catalog at least once, and both anticoagulants and insulin appear:
the evaluation suites ask about warfarin and apixaban, insulin and metformin by name.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from tools.sandbox.cohort.codings import Coding
from tools.sandbox.cohort.demographics import Demographics
from tools.sandbox.cohort.problems import PROBLEMS

BAND_COLUMN = {"18-39": 0, "40-64": 1, "65+": 2}
FULL_COVERAGE_FROM = 12
"""Cohorts at least this big hold every catalog problem at least once."""
INSULIN_SHARE = 0.45


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """The clinical intent for one patient; carebundle's draw may add more problems."""

    problems: frozenset[str]
    insulin: bool = False
    anticoagulant: Literal["warfarin", "apixaban"] = "apixaban"
    coding: Coding = "loinc"
    """How the record codes its labs and vitals (`codings.py`)."""
    inpatient_days: int = 0
    """Days of dense inpatient-like readings before today (`inpatient.py`); 0: none."""

    @property
    def carebundle_profile(self) -> str:
        """The carebundle profile whose draw best matches the intended problems."""
        if "diabetes" in self.problems:
            return "type2_diabetes"
        if "ckd" in self.problems:
            return "ckd_stage3"
        if "hypertension" in self.problems:
            return "hypertension"
        return "healthy"


def assign_scenarios(seed: int, people: list[Demographics]) -> list[Scenario]:
    """One Scenario per person, deterministic in (seed, cohort)."""
    rng = random.Random(f"carecoord:{seed}:scenarios:{len(people)}")
    chosen: list[set[str]] = []
    for person in people:
        column = BAND_COLUMN[person.age_band]
        chosen.append({p.key for p in PROBLEMS if rng.random() < p.prevalence[column]})
    if len(people) >= FULL_COVERAGE_FROM:
        for problem in PROBLEMS:
            if any(problem.key in keys for keys in chosen):
                continue
            eligible = [
                i for i, person in enumerate(people) if problem.prevalence[BAND_COLUMN[person.age_band]] > 0
            ]
            rng.shuffle(eligible)
            eligible.sort(key=lambda i: len(chosen[i]))
            chosen[eligible[0]].add(problem.key)
    diabetics = [i for i, keys in enumerate(chosen) if "diabetes" in keys]
    on_insulin = {i for i in diabetics if rng.random() < INSULIN_SHARE}
    if diabetics and not on_insulin:
        on_insulin.add(diabetics[0])
    afib = [i for i, keys in enumerate(chosen) if "afib" in keys]
    warfarin = set(afib[::2])
    scenarios = [
        Scenario(
            problems=frozenset(keys),
            insulin=i in on_insulin,
            anticoagulant="warfarin" if i in warfarin else "apixaban",
        )
        for i, keys in enumerate(chosen)
    ]
    return with_variants(scenarios)


@dataclass(frozen=True)
class Variant:
    """A record written another way: its coding, the problems it needs, and a dense stay or not."""

    coding: Coding
    problems: frozenset[str]
    anticoagulant: Literal["warfarin", "apixaban"] | None = None
    inpatient_days: int = 0


VARIANTS_FROM = 20
"""Cohorts at least this big end with the `VARIANTS` patients (the demo and test cohorts are 60)."""
VARIANTS = (
    Variant("local", frozenset({"diabetes", "ckd", "hypertension"})),
    Variant("local", frozenset({"afib", "heart_failure"}), anticoagulant="warfarin"),
    Variant("local", frozenset({"hypothyroidism", "hyperlipidemia"})),
    Variant("text", frozenset({"diabetes", "hyperlipidemia"})),
    Variant("text", frozenset({"afib", "ckd"}), anticoagulant="warfarin"),
    Variant("text", frozenset({"hypertension", "hypothyroidism", "heart_failure"})),
    Variant("loinc", frozenset({"diabetes", "ckd", "heart_failure"}), inpatient_days=40),
)
"""Records coded by the clinic lab's local codes, by text-only abbreviations, and one with a dense stay.

Each keeps the problems it was drawn with (so the cohort's coverage is unchanged) and adds its own."""


def with_variants(scenarios: list[Scenario]) -> list[Scenario]:
    """`scenarios` with the last `len(VARIANTS)` rewritten as the coding variants (big cohorts only)."""
    if len(scenarios) < VARIANTS_FROM:
        return scenarios
    head = scenarios[: -len(VARIANTS)]
    tail = [
        Scenario(
            problems=drawn.problems | variant.problems,
            insulin=drawn.insulin,
            anticoagulant=variant.anticoagulant or drawn.anticoagulant,
            coding=variant.coding,
            inpatient_days=variant.inpatient_days,
        )
        for drawn, variant in zip(scenarios[-len(VARIANTS) :], VARIANTS, strict=True)
    ]
    return head + tail
