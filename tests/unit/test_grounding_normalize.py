"""One spelling per fact at the verifier's door: micro signs, degree signs, odd spaces, minus signs."""

from __future__ import annotations

import pytest
import yaml

from agent.grounding.claims import extract_atoms
from agent.grounding.normalize import normalize_text
from agent.grounding.quantities import UNITS_PATH, find_quantities
from agent.grounding.verifier import Verifier


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("25 μg", "0.025 mg"),  # Greek small mu, U+03BC (MedHallu's abstracts)
        ("25 µg", "0.025 mg"),  # micro sign, U+00B5
        ("25 mcg", "0.025 mg"),
        ("25 ug", "0.025 mg"),
        ("25 ΜG", "0.025 mg"),  # Greek capital mu: upper-case of both
        ("0.025 mg", "0.025 mg"),
        ("80 μmol/L", "0.08 mmol/l"),
        ("80 µmol/l", "0.08 mmol/l"),
        ("80 umol/L", "0.08 mmol/l"),
        ("0.08 mmol/L", "0.08 mmol/l"),
        ("37 °C", "37 °c"),
        ("37 ℃", "37 °c"),
        ("98.6 ℉", "98.6 °f"),
    ],
)
def test_units_written_any_way_compare_equal(written: str, key: str) -> None:
    for text in (written, normalize_text(written)):
        [found] = find_quantities(text)
        assert found.atom.key == key, text


@pytest.mark.parametrize(
    "space",
    ["\u00a0", "\u2009", "\u202f", "\u2007", "\u200a", "\u3000"],
    ids=["nbsp", "thin", "nnbsp", "figure", "hair", "ideographic"],
)
def test_odd_spaces_between_number_and_unit(space: str) -> None:
    [found] = find_quantities(normalize_text(f"take 500{space}mg daily"))
    assert found.atom.key == "500 mg"


@pytest.mark.parametrize("dash", ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2212", "\ufe63", "\uff0d"])
def test_dashes_and_minus_signs_in_ranges(dash: str) -> None:
    atoms = extract_atoms(normalize_text(f"25{dash}50 mcg a day"))
    assert [a.key for a in atoms] == ["0.025 mg", "0.05 mg"]


def test_every_unit_alias_in_every_case_is_read_without_error() -> None:
    """A case variant the regex accepts can never reach the table as an unknown key (the KeyError 'μg')."""
    entries = yaml.safe_load(UNITS_PATH.read_text(encoding="utf-8"))
    for entry in entries:
        for alias in entry["aliases"]:
            for variant in {alias, alias.upper(), alias.title(), alias.casefold()}:
                for text in (f"take 5 {variant} now", normalize_text(f"take 5 {variant} now")):
                    found = find_quantities(text)
                    assert len(found) == 1, (variant, found)


def test_normalize_folds_compatibility_forms_and_drops_invisibles() -> None:
    assert normalize_text("cafe\u0301") == "café"
    assert normalize_text("don\u2019t \u201cstop\u201d") == 'don\'t "stop"'
    assert normalize_text("war\u00adfa\u200brin\ufeff") == "warfarin"
    assert normalize_text("a\u2028b\u2029c\x85d") == "a\nb\nc\nd"
    assert normalize_text("\u202bRTL\u202c \u2067iso\u2069") == "RTL iso"
    assert normalize_text("\uff15\uff10\uff10 mg") == "500 mg"  # full-width digits
    assert normalize_text("NUL\x00here") == "NUL here"


@pytest.mark.parametrize(
    ("sentence", "evidence"),
    [
        ("Vitamin D3 at 25 µg daily raised serum levels.", "Vitamin D3 at 25 μg daily raised serum levels."),
        (
            "Vitamin D3 at 25 mcg daily raised serum levels.",
            "Vitamin D3 at 25\u00a0μg daily raised serum levels.",
        ),
        ("Store the pen below 30 °C.", "Store the pen below 30\u2009℃."),
        ("Pressure fell by 5-10 mmHg.", "Pressure fell by 5\u221210\u202fmmHg."),
        ("Creatinine was 80 µmol/L.", "Creatinine was 80 μmol/l."),
        ("The café-au-lait spots faded.", "The cafe\u0301-au-lait spots faded."),
    ],
)
def test_verifier_supports_a_fact_written_another_way(sentence: str, evidence: str) -> None:
    verdict = Verifier().check(sentence, [evidence])
    assert verdict.supported, verdict.reason
    assert verdict.sentence == sentence


def test_verifier_still_refutes_a_wrong_amount_in_another_script() -> None:
    verdict = Verifier().check(
        "Vitamin D3 at 250 µg daily raised serum levels.", ["Vitamin D3 at 25 μg daily."]
    )
    assert not verdict.supported and verdict.missing == ("250 μg",)  # as normalised: the Greek mu
