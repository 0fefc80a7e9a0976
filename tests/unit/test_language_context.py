"""ConText on patient messages: negation, history, hypotheticals, questions, other people, populations."""

from __future__ import annotations

import pytest

from agent.language import Analysis, Mention, analyze
from agent.language.context import ContextRules


def mention(analysis: Analysis, concept_id: str, kind: str | None = None) -> Mention:
    found = [m for m in analysis.mentions if m.concept_id == concept_id and (kind is None or m.kind == kind)]
    assert found, f"no {concept_id} in {[(m.concept_id, m.text) for m in analysis.mentions]}"
    return found[0]


FLAGS = ("negated", "historical", "hypothetical", "informational", "possible", "generic")


def flags(m: Mention) -> set[str]:
    return {name for name in FLAGS if getattr(m, name)}


@pytest.mark.parametrize(
    ("text", "concept", "expected_flags", "who"),
    [
        (
            "crushing pain in my chest for 20 minutes, I have a history of heart attack",
            "chest_pain",
            set(),
            "patient",
        ),
        (
            "crushing pain in my chest for 20 minutes, I have a history of heart attack",
            "heart_attack",
            {"historical"},
            "patient",
        ),
        ("no chest pain", "chest_pain", {"negated"}, "patient"),
        ("I had a stroke last year", "stroke", {"historical"}, "patient"),
        ("what are the signs of a stroke?", "stroke", {"informational"}, "patient"),
        ("my husband's face is drooping", "facial_droop", set(), "other"),
        ("what medications does my wife Uma take?", "medications", set(), "other"),
        ("What are safe painkillers for diabetic patients over 60?", "painkiller", {"generic"}, "patient"),
        ("What are safe painkillers for diabetic patients over 60?", "diabetes", {"generic"}, "patient"),
        ("if my sugar goes below 70 what do I do", "glucose", {"hypothetical"}, "patient"),
        ("denies fever", "fever", {"negated"}, "patient"),
        ("not short of breath but my chest hurts", "shortness_of_breath", {"negated"}, "patient"),
        ("not short of breath but my chest hurts", "chest_pain", set(), "patient"),
    ],
)
def test_required_cases(text: str, concept: str, expected_flags: set[str], who: str) -> None:
    m = mention(analyze(text), concept)
    assert flags(m) == expected_flags
    assert m.experiencer.who == who


def test_current_chest_pain_is_current_and_history_is_not() -> None:
    analysis = analyze("crushing pain in my chest for 20 minutes, I have a history of heart attack")
    assert mention(analysis, "chest_pain").current
    assert mention(analysis, "chest-pain", "red_flag").current
    heart_attack = mention(analysis, "heart_attack")
    assert not heart_attack.current
    assert [(mod.category, mod.text) for mod in heart_attack.modifiers] == [("HISTORICAL", "history of")]


def test_other_person_relation_and_name() -> None:
    analysis = analyze("what medications does my wife Uma take?")
    meds = mention(analysis, "medications")
    assert (meds.experiencer.relation, meds.experiencer.name) == ("wife", "Uma")
    person = mention(analysis, "wife", "person")
    assert person.text == "my wife Uma"
    assert analysis.others[0].name == "Uma"


def test_generic_population_is_not_another_person() -> None:
    analysis = analyze("What are safe painkillers for diabetic patients over 60?")
    assert analysis.others == ()
    assert not analysis.of_kind("person")
    assert all(m.experiencer.who == "patient" and not m.about_patient for m in analysis.mentions)


def test_caregiver_report_is_current_for_someone_else() -> None:
    m = mention(analyze("my husband's face is drooping"), "facial_droop")
    assert m.current and not m.about_patient
    assert m.experiencer.relation == "husband"


@pytest.mark.parametrize(
    ("text", "concept", "negated"),
    [
        ("no fever, chills or cough", "cough", True),
        ("no fever, chills or cough", "chills", True),
        ("No, I have chest pain", "chest_pain", False),
        ("I don't think it's serious, my chest hurts", "chest_pain", False),
        ("not only chest pain but also sweating", "chest_pain", False),
        ("my chest pain is gone", "chest_pain", True),
        ("I can't breathe", "shortness_of_breath", False),
        ("I cant breathe and I have no fever", "shortness_of_breath", False),
        ("I cant breathe and I have no fever", "fever", True),
    ],
)
def test_negation_scope(text: str, concept: str, negated: bool) -> None:
    assert mention(analyze(text), concept).negated is negated


@pytest.mark.parametrize(
    ("text", "concept", "who", "relation"),
    [
        ("my wife says my sugar is high", "glucose", "patient", None),
        ("I think my husband is having a stroke", "stroke", "other", "husband"),
        ("he is slurring his words", "slurred_speech", "other", None),
        ("my mom has diabetes and I have high blood pressure", "diabetes", "other", "mother"),
        ("my mom has diabetes and I have high blood pressure", "hypertension", "patient", None),
        ("family history of diabetes", "diabetes", "other", "family"),
    ],
)
def test_experiencer_nearest_cue_wins(text: str, concept: str, who: str, relation: str | None) -> None:
    m = mention(analyze(text), concept)
    assert (m.experiencer.who, m.experiencer.relation) == (who, relation)


def test_history_ends_at_now() -> None:
    analysis = analyze("I had a stroke 2 years ago and now my face is drooping")
    assert mention(analysis, "stroke").historical
    assert mention(analysis, "facial_droop").current


def test_informational_ends_at_the_patients_own_words() -> None:
    analysis = analyze("what are the signs of a stroke my face is drooping")
    assert mention(analysis, "stroke").informational
    assert mention(analysis, "facial_droop").current


def test_possible_is_flagged_but_not_suppressed() -> None:
    m = mention(analyze("I'm worried I might have a blood clot"), "blood_clot")
    assert m.possible and m.current


def test_pseudo_trigger_blocks_the_trigger_inside_it() -> None:
    m = mention(analyze("history and physical shows chest pain"), "chest_pain")
    assert not m.historical


def test_rules_file_loads_every_category_and_direction() -> None:
    rules = ContextRules.load()
    seen = {(r.category, r.direction) for r in rules.rules}
    for pair in [
        ("NEGATED_EXISTENCE", "FORWARD"),
        ("NEGATED_EXISTENCE", "BACKWARD"),
        ("HISTORICAL", "BIDIRECTIONAL"),
        ("HISTORICAL", "TERMINATE"),
        ("ANY", "TERMINATE"),
        ("ANY", "PSEUDO"),
        ("OTHER_EXPERIENCER", "BIDIRECTIONAL"),
        ("GENERIC", "BIDIRECTIONAL"),
        ("INFORMATIONAL", "FORWARD"),
        ("HYPOTHETICAL", "FORWARD"),
        ("SELF", "BIDIRECTIONAL"),
    ]:
        assert pair in seen
    assert "no" in {r.literal for r in rules.rules if r.category == "NEGATED_EXISTENCE"}


def test_unquoted_yaml_boolean_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "context.yaml"
    path.write_text("NEGATED_EXISTENCE:\n  forward: [no, not]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="quote it"):
        ContextRules.load(path)


@pytest.mark.parametrize(
    ("text", "concept", "kind", "who"),
    [
        (
            "my sugar is so low I can't hold the juice and I'm slurring",
            "slurred_speech",
            "symptom",
            "patient",
        ),
        ("everyone would be better off without me", "suicidal-thoughts", "red_flag", "patient"),
        ("I told her my chest hurts", "chest_pain", "symptom", "patient"),
        ("one side of his face is numb", "facial_droop", "symptom", "other"),
        ("she says she can't breathe", "shortness_of_breath", "symptom", "other"),
        ("my husband and I both have a fever", "fever", "symptom", "patient"),
    ],
)
def test_current_in_patients_words(text: str, concept: str, kind: str, who: str) -> None:
    m = mention(analyze(text), concept, kind)
    assert m.current, m.modifiers
    assert m.experiencer.who == who


def test_policy_exemplars_and_look_alikes() -> None:
    """Baseline on the shipped policy: red-flag exemplars mostly current, look-alikes almost never."""
    import yaml

    from agent.language.sources import POLICY_PATH

    policy = yaml.safe_load(POLICY_PATH.read_text(encoding="utf-8"))
    exemplars = [e for flag in policy["red_flags"] for e in flag.get("exemplars", [])]
    current = [
        e
        for e in exemplars
        if any(m.current and m.kind in ("red_flag", "symptom") for m in analyze(e).mentions)
    ]
    assert len(current) / len(exemplars) >= 0.8
    look_alikes = policy["look_alikes"]
    flagged = [e for e in look_alikes if any(m.current and m.kind == "red_flag" for m in analyze(e).mentions)]
    assert len(flagged) / len(look_alikes) <= 0.02, flagged
