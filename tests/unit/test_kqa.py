from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.grounding.verifier import DEFAULT_THRESHOLD, Verifier
from evals.kqa import (
    DEFAULT_DATA_DIR,
    CalibrationReport,
    DetectItem,
    app,
    auroc,
    calibrate,
    load_kqa_detect_items,
)

SHARED_KQA = DEFAULT_DATA_DIR

ANSWER_A = "Metformin often causes nausea and diarrhea. Take it with meals at 500 mg."
ANSWER_B = "Ibuprofen relieves pain but can irritate the stomach lining."
ROWS = [
    # Question, model answer, claim, majority label
    ("What does metformin do?", ANSWER_A, "Metformin often causes nausea.", "Entailment"),
    (
        "What does metformin do?",
        ANSWER_A,
        "Metformin can cause lactic acidosis in kidney failure.",
        "Neutral",
    ),
    ("What does metformin do?", ANSWER_A, "The usual starting dose is 850 mg.", "Contradiction"),
    ("Is ibuprofen safe?", ANSWER_B, "Ibuprofen can irritate the stomach.", "Entailment"),
    ("Is ibuprofen safe?", ANSWER_B, "Ibuprofen raises blood pressure in some people.", "Neutral"),
    ("Unknown question?", ANSWER_B, "Advil relieves pain.", "Entailment"),
]
PHYSICIAN = {
    "What does metformin do?": "Metformin lowers glucose; it often causes nausea and rarely lactic acidosis.",
    "Is ibuprofen safe?\n": "Ibuprofen can irritate the stomach and raise blood pressure.",
}


@pytest.fixture
def kqa_dir(tmp_path: Path) -> Path:
    with (tmp_path / "NLI_medical_annotator.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["", "Question", "llm_x", "answer", "claim", "category_x", "majority_label"])
        for i, (question, answer, claim, label) in enumerate(ROWS):
            writer.writerow([i, question, "gpt4", answer, claim, "Must_have", label])
    with (tmp_path / "questions_w_answers.jsonl").open("w", encoding="utf-8") as f:
        for question, answer in PHYSICIAN.items():
            f.write(json.dumps({"Question": question, "Free_form_answer": answer}) + "\n")
    return tmp_path


def test_auroc_known_values() -> None:
    assert auroc([0.1, 0.2, 0.8, 0.9], [False, False, True, True]) == 1.0
    assert auroc([0.9, 0.8, 0.2, 0.1], [False, False, True, True]) == 0.0
    assert auroc([0.5, 0.5, 0.5, 0.5], [False, True, False, True]) == 0.5
    assert auroc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75


def test_auroc_matches_scikit_learn_with_ties() -> None:
    from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]

    rng = random.Random(7)
    scores = [rng.choice([0.0, 0.25, 0.5, 0.75, 1.0]) for _ in range(300)]
    labels = [rng.random() < 0.3 + 0.4 * s for s in scores]
    assert auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))


def test_load_model_answer_pairing(kqa_dir: Path) -> None:
    items = load_kqa_detect_items(kqa_dir, "model_answer")
    assert [i.id for i in items] == [f"kqa-{n}" for n in range(6)]
    assert [i.label for i in items] == ["supported", "unsupported", "unsupported"] + [
        "supported",
        "unsupported",
    ] + ["supported"]
    assert items[0] == DetectItem(
        id="kqa-0", claim="Metformin often causes nausea.", evidence=[ANSWER_A], label="supported"
    )


def test_load_physician_pairing_matches_questions_and_drops_unknown_ones(kqa_dir: Path) -> None:
    items = load_kqa_detect_items(kqa_dir, "physician_answer")
    assert [i.id for i in items] == [f"kqa-{n}" for n in range(5)]
    assert items[3].evidence == [PHYSICIAN["Is ibuprofen safe?\n"]]  # matched despite the trailing newline


def test_calibrate_reports_scores_operating_points_and_baselines(kqa_dir: Path) -> None:
    items = load_kqa_detect_items(kqa_dir, "model_answer") * 4  # enough rows for 5 grouped folds
    report = calibrate(items, Verifier, evidence="model_answer")
    assert isinstance(report, CalibrationReport)
    assert (report.evidence, report.n_items, report.n_supported) == ("model_answer", 24, 12)
    assert report.auroc == 1.0
    assert report.best_f1.f1 == 1.0
    assert report.recommended.threshold >= report.best_f1.threshold
    assert report.at_verifier_threshold.threshold == DEFAULT_THRESHOLD
    for value in (
        report.baselines.evidence_length_auroc,
        report.baselines.claim_length_auroc,
        report.baselines.tfidf_claim_auroc,
    ):
        assert 0.0 <= value <= 1.0
    assert report.baselines.evidence_length_auroc >= 0.5  # taken in its better direction


def test_calibrate_refuses_no_items() -> None:
    with pytest.raises(ValueError, match="no items"):
        calibrate([], Verifier)


def test_cli_prints_a_table_and_json(kqa_dir: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["--data-dir", str(kqa_dir), "--evidence", "physician_answer"])
    assert table.exit_code == 0, table.output
    assert "verifier AUROC" in table.output
    assert "TF-IDF" in table.output
    as_json = runner.invoke(app, ["--data-dir", str(kqa_dir), "--evidence", "model_answer", "--json"])
    assert as_json.exit_code == 0, as_json.output
    [report] = json.loads(as_json.output)
    assert report["evidence"] == "model_answer"
    assert report["n_items"] == 6


def test_cli_missing_data_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "K-QA data not found" in result.output
    assert "Traceback" not in result.output


def test_cli_rejects_an_unknown_pairing(kqa_dir: Path) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(kqa_dir), "--evidence", "question"])
    assert result.exit_code == 2
    assert "--evidence" in result.output


# --- the shared K-QA data -------------------------------------------------------------------------

needs_kqa = pytest.mark.skipif(
    not (SHARED_KQA / "NLI_medical_annotator.csv").is_file(),
    reason=f"K-QA not found at {SHARED_KQA} (../shared/data/kqa from the repository root); "
    "the calibration check needs the shared copy",
)


@pytest.fixture(scope="module")
def kqa_reports() -> dict[str, CalibrationReport]:
    return {
        kind: calibrate(load_kqa_detect_items(SHARED_KQA, kind), Verifier, evidence=kind)
        for kind in ("model_answer", "physician_answer")
    }


@needs_kqa
def test_shared_kqa_has_the_documented_shape() -> None:
    items = load_kqa_detect_items(SHARED_KQA, "model_answer")
    assert len(items) == 399
    assert sum(i.label == "supported" for i in items) == 153
    assert len(load_kqa_detect_items(SHARED_KQA, "physician_answer")) == 396


@needs_kqa
def test_verifier_beats_style_only_baselines_on_kqa(kqa_reports: dict[str, CalibrationReport]) -> None:
    # Measured: AUROC 0.772 (0.758 before the conflict checks) against 0.568 (evidence length), 0.558
    # (claim length), 0.547 (TF-IDF of the claim).
    report = kqa_reports["model_answer"]
    assert report.auroc >= 0.72
    best_length = max(report.baselines.evidence_length_auroc, report.baselines.claim_length_auroc)
    assert report.auroc - best_length >= 0.10
    assert report.auroc - report.baselines.tfidf_claim_auroc >= 0.10
    assert report.auroc >= report.coverage_auroc  # the atom check adds signal


@needs_kqa
def test_physician_answer_pairing_carries_no_signal(kqa_reports: dict[str, CalibrationReport]) -> None:
    # The claims were written from the physician answer, so it states them all whatever the label.
    assert abs(kqa_reports["physician_answer"].auroc - 0.5) < 0.1


@needs_kqa
def test_default_threshold_is_the_recommended_kqa_cut(kqa_reports: dict[str, CalibrationReport]) -> None:
    report = kqa_reports["model_answer"]
    assert report.recommended.threshold == pytest.approx(DEFAULT_THRESHOLD, abs=0.01)
    assert report.at_verifier_threshold.precision > report.best_f1.precision
    assert report.at_verifier_threshold.f1 >= report.best_f1.f1 - 0.015
