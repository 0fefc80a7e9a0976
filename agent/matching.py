"""Resolve what the patient names ("my Glucophage", "the heart doctor") against their own record."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from agent.text import contains_phrase, normalise
from tools.concepts import MedicationClass, medication_classes, specialties
from tools.views import Medication

DRUG_NAMES_PATH = Path(__file__).parent / "grounding" / "drug_names.yaml"

SPECIALTY_WORDS: dict[str, tuple[str, ...]] = {s.name: s.names for s in specialties()}
"""Specialty -> lay words, from `tools/concepts/specialties.yaml` (the data table the language layer uses too)."""


@lru_cache(maxsize=1)
def brand_to_generic() -> dict[str, str]:
    """Brand and alternate names mapped to generic names, from the grounding lexicon's `generics`."""
    if not DRUG_NAMES_PATH.exists():
        return {}
    data = yaml.safe_load(DRUG_NAMES_PATH.read_text(encoding="utf-8")) or {}
    mapping: dict[str, str] = {}
    for generic, names in (data.get("generics") or {}).items():
        for name in names or []:
            mapping[normalise(str(name))] = normalise(str(generic))
    return mapping


def with_generics(text: str) -> str:
    """The text with brand names followed by their generic ("eliquis apixaban")."""
    words = normalise(text)
    additions = [
        generic for brand, generic in brand_to_generic().items() if brand and f" {brand} " in f" {words} "
    ]
    return " ".join([words, *additions])


def match_medication(
    mention: str, medications: Sequence[Medication], threshold: int = 80
) -> Medication | None:
    """The patient's medication that `mention` names, by generic or brand, tolerating typos."""
    if not mention.strip():
        return None
    query = with_generics(mention)
    best, best_score = None, 0.0
    for medication in medications:
        name = normalise(medication.name)
        generic = name.split()[0] if name else ""
        score = max(
            fuzz.partial_ratio(generic, query) if len(generic) >= 4 else 0.0,
            fuzz.token_set_ratio(name, query),
        )
        if score > best_score:
            best, best_score = medication, score
    return best if best_score >= threshold else None


DOSE_FORM_WORDS = frozenset(
    {
        "inhaler",
        "inhalers",
        "pen",
        "pens",
        "injector",
        "patch",
        "patches",
        "cream",
        "ointment",
        "drop",
        "drops",
    }
    | {"spray", "sprays", "nebulizer"}
)
"""How patients name a medicine by what it is rather than what is in it ("refills on my inhaler")."""


def medications_of_form(message: str, medications: Sequence[Medication]) -> list[Medication]:
    """The patient's medications whose name holds a dose-form word the message uses (inhaler, pen, …)."""
    said = {_singular(word) for word in normalise(message).split() if word in DOSE_FORM_WORDS}
    return [m for m in medications if said & {_singular(word) for word in normalise(m.name).split()}]


def classes_named(message: str) -> list[MedicationClass]:
    """The medicine groups a message names ("my blood thinner", "my controller inhaler"), longest phrase first.

    Where one group's phrase lies inside another's ("rescue" in "rescue inhaler"), both count; where a
    message names a group and a dose form ("controller inhaler"), the group decides.
    """
    said = normalise(message)
    return [c for c in medication_classes() if any(contains_phrase(said, name) for name in c.names)]


def medications_of_class(message: str, medications: Sequence[Medication]) -> list[Medication]:
    """The patient's medications in a group the message names (brands read as their generic)."""
    groups = classes_named(message)
    if not groups:
        return []
    generics = frozenset().union(*(c.generics for c in groups))
    return [m for m in medications if generics & set(with_generics(m.name).replace("-", " ").split())]


def narrows_medications(message: str) -> bool:
    """Whether a message asks about a group or form of medicines rather than the whole list."""
    words = set(normalise(message).split())
    return bool(classes_named(message)) or bool(words & DOSE_FORM_WORDS)


def _singular(word: str) -> str:
    return word[:-2] if word.endswith("ches") else word.removesuffix("s")


def mentioned_medications(message: str, medications: Sequence[Medication]) -> list[Medication]:
    """Every medication of the patient's that the message names."""
    query = with_generics(message)
    found = []
    for medication in medications:
        generic = normalise(medication.name).split()[0] if medication.name else ""
        if len(generic) >= 4 and fuzz.partial_ratio(generic, query) >= 85:
            found.append(medication)
    return found


def match_specialty(message: str) -> str | None:
    """The specialty a message asks for, from lay words ("heart doctor" → cardiology)."""
    text = normalise(message)
    for specialty, words in SPECIALTY_WORDS.items():
        if any(f" {w} " in f" {text} " for w in words):
            return specialty
    return None


LAB_CODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "4548-4": ("A1c", ("a1c", "a1 c", "hba1c", "hemoglobin a1c", "average sugar", "3 month sugar")),
    "2339-0": ("glucose", ("glucose", "blood sugar", "sugar level", "fasting sugar")),
    "85354-9": ("blood pressure", ("blood pressure", "bp", "pressure reading")),
    "29463-7": ("weight", ("weight", "how much i weigh")),
    "33914-3": ("eGFR", ("egfr", "kidney function", "kidney test", "gfr")),
    "6301-6": ("INR", ("inr", "pt/inr", "coumadin level", "warfarin level", "clotting test")),
    "3016-3": ("TSH", ("tsh", "thyroid test", "thyroid level", "thyroid")),
    "2089-1": ("LDL cholesterol", ("ldl", "cholesterol", "lipid")),
    "2823-3": ("potassium", ("potassium",)),
    "2085-9": ("HDL cholesterol", ("hdl", "good cholesterol")),
    "44261-6": ("PHQ-9", ("phq", "phq-9", "depression score", "depression screening")),
    "2160-0": ("creatinine", ("creatinine",)),
}


def match_lab(message: str) -> str | None:
    """The LOINC code of the lab or vital a message asks about, if any."""
    text = normalise(message)
    for code, (_, words) in LAB_CODES.items():
        if any(f" {w} " in f" {text} " for w in words):
            return code
    return None
