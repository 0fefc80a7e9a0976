"""One item that raises is that item's error: the run goes on, the error is counted, a bound may fail it.

Also the gate's second stage on detect items, measured apart from the first (a hand-written judge).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from agent.grounding.judge import Claim, JudgeError, Judgement
from agent.grounding.verifier import SentenceVerdict, Verifier
from evals.bounds import parse_bounds
from evals.model_card import model_card
from evals.report import write_reports
from evals.results import DetectItemResult, RetrievalItemResult, read_results
from evals.runner import Engines, MissingEngine, RunConfig, run_suites
from evals.suite import load_suite

ITEMS = [
    {
        "id": "ok-1",
        "claim": "Take metformin with meals.",
        "evidence": ["Take metformin with meals."],
        "label": "supported",
    },
    {"id": "boom", "claim": "BOOM 25 μg", "evidence": ["25 µg"], "label": "supported"},
    {
        "id": "ok-2",
        "claim": "Take 5000 mg of metformin.",
        "evidence": ["Take 500 mg of metformin."],
        "label": "unsupported",
    },
    {
        "id": "ok-3",
        "claim": "Nausea is common at first.",
        "evidence": ["Nausea is common at first."],
        "label": "supported",
    },
    {
        "id": "ok-4",
        "claim": "Metformin cures diabetes.",
        "evidence": ["Metformin lowers blood sugar."],
        "label": "unsupported",
    },
]


class ExplodingVerifier(Verifier):
    """The real verifier, except on a claim holding BOOM (the way `KeyError: 'μg'` once ended a run)."""

    def check(self, sentence: str, cited_texts: Sequence[str]) -> SentenceVerdict:
        if "BOOM" in sentence:
            raise KeyError("μg")
        return super().check(sentence, cited_texts)


class ScriptedJudge:
    """An `EntailmentJudge` that reads the label off the claim's wording, and fails on one claim."""

    name = "scripted:v1"

    def judge(self, claims: Sequence[Claim]) -> list[Judgement]:
        out = []
        for claim in claims:
            if "Nausea" in claim.sentence:
                raise JudgeError("529 overloaded_error")
            wrong = any(word in claim.sentence for word in ("5000", "cures"))
            out.append(Judgement("contradicted" if wrong else "entailed", 0.9, "", "scripted"))
        return out


def detect_suite(tmp_path: Path) -> Path:
    path = tmp_path / "gate.jsonl"
    path.write_text("".join(json.dumps({**i, "kind": "detect"}) + "\n" for i in ITEMS), encoding="utf-8")
    return path


def test_a_raising_detect_item_is_recorded_and_the_run_continues(tmp_path: Path) -> None:
    suite = load_suite(detect_suite(tmp_path))
    config = RunConfig(run_id="errors", bounds=tuple(parse_bounds(["detect_auroc>=0.5"], ["errors=0"])))
    summary = run_suites([suite], Engines(verifier=ExplodingVerifier()), config, tmp_path / "run")

    results = read_results(tmp_path / "run" / "results.jsonl")
    assert [r.id for r in results] == [i["id"] for i in ITEMS]
    boom = results[1]
    assert isinstance(boom, DetectItemResult)
    assert (boom.error, boom.score, boom.predicted_supported, boom.passed) == (
        "KeyError: 'μg'",
        None,
        None,
        False,
    )
    assert boom.failures == ["error: KeyError: 'μg'"]
    h = summary.headline
    assert (h["detect_items"], h["detect_errors"], h["errors"], h["gate.detect_errors"]) == (5, 1, 1, 1)
    detect = summary.overall.detect
    assert detect is not None and detect.auroc.items == 4 and detect.accuracy.items == 4
    assert h["detect_auroc"] == 1.0
    assert [(b.metric, b.passed) for b in summary.bounds] == [("detect_auroc", True), ("errors", False)]

    write_reports(summary, results, tmp_path / "run")
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "1 detect item(s) raised an error; the run went on without them" in report


def test_without_a_bound_an_error_does_not_fail_the_run(tmp_path: Path) -> None:
    suite = load_suite(detect_suite(tmp_path))
    summary = run_suites(
        [suite], Engines(verifier=ExplodingVerifier()), RunConfig(run_id="e"), tmp_path / "run"
    )
    assert summary.bounds == [] and summary.headline["errors"] == 1


class BrokenRetriever:
    """Stands in for `HybridRetriever`: the index went away."""

    def search(self, query: str, k: int = 5) -> object:
        raise ConnectionError("chroma server unreachable")


def test_a_raising_retrieval_item_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"id": "r1", "kind": "retrieval", "query": "metformin", "gold": ["x"]}) + "\n")
    summary = run_suites(
        [load_suite(path)],
        Engines(retriever=BrokenRetriever()),
        RunConfig(run_id="r"),
        tmp_path / "run",  # type: ignore[arg-type]
    )
    [result] = read_results(tmp_path / "run" / "results.jsonl")
    assert (
        isinstance(result, RetrievalItemResult)
        and result.error == "ConnectionError: chroma server unreachable"
    )
    assert (summary.headline["retrieval_errors"], summary.headline["errors"]) == (1, 1)
    assert summary.headline["retrieval_recall_at_5"] is None  # not counted as a miss


def test_a_missing_engine_still_stops_the_run(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"id": "r1", "kind": "retrieval", "query": "metformin", "gold": []}) + "\n")
    with pytest.raises(MissingEngine):
        run_suites([load_suite(path)], Engines(), RunConfig(run_id="m"), tmp_path / "run")


def test_the_judge_stage_is_measured_apart_from_the_offline_stage(tmp_path: Path) -> None:
    suite = load_suite(detect_suite(tmp_path))
    engines = Engines(verifier=ExplodingVerifier(), judge=ScriptedJudge())
    summary = run_suites([suite], engines, RunConfig(run_id="judge"), tmp_path / "run")

    results = {r.id: r for r in read_results(tmp_path / "run" / "results.jsonl")}
    nausea, wrong = results["ok-3"], results["ok-2"]
    assert isinstance(nausea, DetectItemResult) and isinstance(wrong, DetectItemResult)
    assert nausea.judge is not None and nausea.judge.error == "529 overloaded_error" and nausea.passed
    assert wrong.judge is not None and (wrong.judge.verdict, wrong.judge.score) == (
        "contradicted",
        pytest.approx(0.1),
    )
    assert results["boom"].judge is None if isinstance(results["boom"], DetectItemResult) else False
    h = summary.headline
    assert (h["detect_judge_items"], h["detect_judge_errors"]) == (3, 1)
    assert (h["detect_judge_auroc"], h["detect_judge_accuracy"], h["detect_combined_accuracy"]) == (
        1.0,
        1.0,
        1.0,
    )
    assert summary.provenance.judge == "scripted:v1"

    card = model_card(summary)
    assert "Second stage, measured separately (scripted:v1" in card
    assert "| gate | 3 | 1 | 1.000 | 1.000 | 1.000 / 1.000 |" in card


def test_offline_only_runs_say_the_second_stage_did_not_run(tmp_path: Path) -> None:
    summary = run_suites(
        [load_suite(detect_suite(tmp_path))], Engines(), RunConfig(run_id="o"), tmp_path / "run"
    )
    assert summary.headline["detect_judge_auroc"] is None
    assert "Second stage (Claude's entailment judge): not run in this evaluation" in model_card(summary)


def test_a_baseline_that_beats_the_verifier_is_said_plainly(tmp_path: Path) -> None:
    # Supported claims are short, unsupported ones long, and the evidence states neither well:
    # claim length separates the labels perfectly, the verifier cannot.
    items = [
        {
            "id": f"s{n}",
            "claim": "Rest helps.",
            "evidence": ["Sleep and fluids help most colds."],
            "label": "supported",
        }
        for n in range(4)
    ] + [
        {
            "id": f"u{n}",
            "claim": "Rest and plenty of fluids help most colds clear within a few days for most people.",
            "evidence": ["Sleep and fluids help most colds."],
            "label": "unsupported",
        }
        for n in range(4)
    ]
    path = tmp_path / "leaky.jsonl"
    path.write_text("".join(json.dumps({**i, "kind": "detect"}) + "\n" for i in items), encoding="utf-8")
    summary = run_suites([load_suite(path)], Engines(), RunConfig(run_id="leak"), tmp_path / "run")
    detect = summary.suites["leaky"].detect
    assert detect is not None and detect.baselines.claim_length_auroc == 1.0
    assert [name for name, _ in detect.beaten_by()][0] == "claim length"
    assert detect.finding("leaky").startswith(
        "On leaky, a style-only baseline beats the verifier: claim length (AUROC 1.000)"
    )
    assert summary.headline["detect_baselines_beating_verifier"] >= 1
    write_reports(summary, read_results(tmp_path / "run" / "results.jsonl"), tmp_path / "run")
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert (
        report.count("On leaky, a style-only baseline beats the verifier") == 2
    )  # at a glance, and in the gate section
    assert "- On leaky, a style-only baseline beats the verifier" in model_card(summary)
