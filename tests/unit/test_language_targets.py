"""Target rules generated from the data tables: kinds, case rules, typos, and adding a new source."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.language import TargetRule, analyze, build_pipeline, register_source, registered_sources
from agent.language.typos import TypoRepair
from agent.matching import SPECIALTY_WORDS, match_specialty
from tools.concepts import specialties


def concepts(text: str, kind: str | None = None) -> list[str]:
    return [m.concept_id for m in analyze(text).mentions if kind is None or m.kind == kind]


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("whats my latest potassium and kidney function", "lab_or_vital", ["potassium", "egfr"]),
        ("what is my ejection fraction", "lab_or_vital", ["ejection_fraction"]),
        ("what's my K", "lab_or_vital", ["potassium"]),
        ("my HbA1c and LDL", "lab_or_vital", ["a1c", "ldl"]),
        ("refill furosemide and also my insulin", "medication", ["furosemide", "insulin"]),
        ("is my Lasix dose ok", "medication", ["furosemide"]),
        ("refill my Janumet", "medication", ["sitagliptin+metformin"]),
        ("book me with endocrinology sometime in january", "specialty", ["endocrinology"]),
        ("I need to see the heart doctor", "specialty", ["cardiology"]),
        ("how old am I", "demographic", ["own_age"]),  # the patient's age, not age as a topic
        ("is this safe at my age", "demographic", ["own_age"]),
        ("what age should men get a colonoscopy", "demographic", ["age"]),
        ("what allergies do I have", "allergy", ["allergy"]),
        ("when is my next appointment", "appointment", ["appointment"]),
        ("I have a stiff neck", "symptom", ["stiff_neck"]),
        ("my chest hurts", "red_flag", ["chest-pain"]),
    ],
)
def test_kinds_and_concepts(text: str, kind: str, expected: list[str]) -> None:
    assert concepts(text, kind) == expected


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("k thanks", "lab_or_vital", []),  # "K" means potassium only as written
        ("I ate a bun", "lab_or_vital", []),
        ("my BUN is high", "lab_or_vital", ["bun"]),
        ("whats my bp", "lab_or_vital", ["blood_pressure"]),  # bp is no English word: any case
        ("my EF", "lab_or_vital", ["ejection_fraction"]),
        ("ef", "lab_or_vital", []),
    ],
)
def test_case_rules_for_short_forms(text: str, kind: str, expected: list[str]) -> None:
    assert concepts(text, kind) == expected


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("whats my potasium", "potassium"),
        ("my kidny function", "egfr"),
        ("metformn refill please", "metformin"),
        ("I feel dizy", "dizziness"),
        ("my cholesteral numbers", "lipid_panel"),
        ("my cholesteral", "total_cholesterol"),
    ],
)
def test_typos_in_clinical_words(text: str, concept: str) -> None:
    assert concept in concepts(text)


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("I painted the fence", "fainting"),
        ("fewer people came", "fever"),
        ("I never smoke", "fever"),
        ("I heard the news", "cardiology"),
        ("I had a rough night", "cough"),
    ],
)
def test_ordinary_words_are_never_repaired(text: str, absent: str) -> None:
    assert absent not in concepts(text)


def test_typo_repair_needs_one_nearest_word() -> None:
    repair = TypoRepair(["potassium", "sodium", "podium"])
    assert repair.repair("potasium") == "potassium"
    assert repair.repair("sodum") == "sodium"
    assert repair.repair("xyzzy") is None


def test_longest_match_wins_within_a_kind_but_kinds_overlap() -> None:
    analysis = analyze("my sugar is low")
    assert [(m.kind, m.concept_id) for m in analysis.mentions] == [
        ("lab_or_vital", "glucose"),
        ("condition", "hypoglycemia"),
    ]
    assert concepts("chest pain", "symptom") == ["chest_pain"]  # not also the bare "pain"


def test_mention_offsets_point_into_the_text() -> None:
    text = "Refill my Glucophage please"
    [mention] = analyze(text).of_kind("medication")
    assert text[mention.start : mention.end] == "Glucophage"
    assert (mention.concept_id, mention.source) == ("metformin", "drug_names")


def test_unknown_words_are_not_concepts() -> None:
    asked = analyze("what's my zorblex level").mentions
    assert [(m.kind, m.concept_id) for m in asked] == [
        ("request", "question_value")
    ]  # what is asked, no concept
    assert concepts("\U0010d977W%腔×v") == []


def test_a_new_source_needs_no_python_pattern() -> None:
    def extra() -> Iterator[TargetRule]:
        yield TargetRule("zorblex", "lab_or_vital", phrases=("zorblex level",), cased=("ZBX",), source="test")

    register_source("test-extra", extra)
    try:
        nlp = build_pipeline(["test-extra"])
        analysis = analyze("what's my zorblx level and my ZBX", nlp=nlp)
        assert [(m.concept_id, m.text) for m in analysis.mentions] == [
            ("zorblex", "zorblx level"),
            ("zorblex", "ZBX"),
        ]
    finally:
        from agent.language import targets

        targets._SOURCES.pop("test-extra")


def test_shipped_sources_and_unknown_source() -> None:
    assert list(registered_sources()) == [
        "observations",
        "specialties",
        "vaccines",
        "medication_classes",
        "drug_names",
        "terms",
        "policy",
    ]
    with pytest.raises(ValueError, match="unknown target sources"):
        build_pipeline(["nope"])


def test_specialties_moved_to_data_keep_the_old_behaviour() -> None:
    assert list(SPECIALTY_WORDS)[0] == "cardiology"
    assert {s.name for s in specialties()} == set(SPECIALTY_WORDS)
    assert match_specialty("can I see a lung doctor") == "pulmonology"
    assert match_specialty("book a checkup") == "primary care"


def test_random_strings_name_no_symptom_or_red_flag() -> None:
    import random

    rng = random.Random(13)
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789%!?.,腔×\U0010d977éü"
    noise = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(300)]
    hits = [
        (s, m.concept_id) for s in noise for m in analyze(s).mentions if m.kind in ("symptom", "red_flag")
    ]
    assert hits == []
