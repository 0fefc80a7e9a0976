"""Every importer end to end, as an evaluator runs it: `eval import` → `eval run` → report → `eval model-card`.

The sources are hand-written files shaped like the real datasets (their field names, their formats) with
the content that broke real runs: raw U+2028/U+2029/U+0085 inside JSON strings, a byte-order mark, Windows
line endings, Greek mu and micro sign, "℃", thin and no-break spaces, Unicode minus, combining accents and
right-to-left text. The detect suites also run the gate's second stage (`--judge`) against the replay
server, so both stages reach the report and the card; MedAgentBench's chat items run through the agent on
the seeded sandbox.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from carecoord.settings import Settings
from evals.kqa import DEFAULT_DATA_DIR as KQA_DIR
from evals.results import ChatItemResult, DetectItemResult, read_results
from evals.suite import DetectCase, load_suite
from tests.fakes.anthropic_replay import AnthropicReplay, cassette, overloaded

pytestmark = [pytest.mark.integration, pytest.mark.slow]
AWKWARD = Path(__file__).resolve().parents[1] / "fixtures" / "evals" / "awkward"
SOURCES = {
    "kqa": AWKWARD / "kqa",
    "medhallu": AWKWARD / "medhallu_pqa_labeled.json",
    "halueval": AWKWARD / "halueval_qa_data.json",
    "medagentbench": AWKWARD / "medagentbench_test_data_v2.json",
}


def carecoord(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carecoord", "eval", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **env},
        timeout=400,
    )


@pytest.fixture
def replay() -> Iterator[AnthropicReplay]:
    with AnthropicReplay() as server:
        yield server


def test_every_importer_through_run_report_and_model_card(
    agent_settings: Settings, replay: AnthropicReplay, tmp_path: Path
) -> None:
    env = {
        "CARECOORD_DATA_DIR": str(agent_settings.data_dir),
        "CARECOORD_FHIR_URL": agent_settings.fhir_url,
        "CARECOORD_VECTOR_CACHE_DIR": str(agent_settings.vectors_cache),
        "CARECOORD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "ANTHROPIC_API_KEY": "sk-ant-replay-0000",
        "ANTHROPIC_BASE_URL": replay.base_url,
        "CARECOORD_CLAUDE_MAX_RETRIES": "1",
    }
    suites: dict[str, Path] = {}
    for name, source in SOURCES.items():
        suites[name] = tmp_path / f"{name}.jsonl"
        imported = carecoord("import", name, str(source), "--out", str(suites[name]), env=env)
        assert imported.returncode == 0, imported.stderr
        assert suites[name].read_bytes().isascii()
    detect = [c for name in ("kqa", "medhallu", "halueval") for c in load_suite(suites[name]).cases]
    assert len(detect) == 4 + 6 + 6 and all(isinstance(c, DetectCase) for c in detect)
    # The judge's replies, in run order: it agrees with each label, except that its call for the
    # second item fails (one attempt allowed): a judge error, recorded on that item only.
    replies = [
        cassette("judge_entailed")
        if isinstance(c, DetectCase) and c.label == "supported"
        else cassette("judge_contradicted" if n % 2 else "judge_neutral")
        for n, c in enumerate(detect)
    ]
    replies[1] = overloaded()
    replay.enqueue(*replies)

    out = tmp_path / "run"
    run = carecoord(
        "run", *(str(p) for p in suites.values()), "--judge", "--out", str(out),
        "--fail-over", "cross_patient_reads=0", "--fail-over", "detect_errors=0", "--json",
        env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert replay.pending == 0 and len(replay.received) == len(detect)
    summary = json.loads(run.stdout)
    h = summary["headline"]
    assert (h["detect_items"], h["detect_errors"], h["errors"], h["chat_items"]) == (16, 0, 0, 2)
    assert (h["detect_judge_items"], h["detect_judge_errors"]) == (15, 1)
    assert h["detect_judge_accuracy"] == 1.0 and h["detect_judge_auroc"] == 1.0
    assert h["cross_patient_reads"] == 0
    assert summary["provenance"]["judge"] == "claude:claude-sonnet-4-5"
    for name in ("kqa", "medhallu", "halueval"):
        assert (
            h[f"{name}.detect_auroc"] is not None
            and h[f"{name}.detect_baseline_claim_length_auroc"] is not None
        )

    results = read_results(out / "results.jsonl")
    assert len(results) == 18
    by_id = {r.id: r for r in results}
    dose = by_id["medhallu-0-truth"]  # 25 µg in the claim, 25 μg and 12\u2009weeks in the abstract
    assert isinstance(dose, DetectItemResult) and dose.predicted_supported and dose.error is None
    failed_judge = by_id[detect[1].id]
    assert isinstance(failed_judge, DetectItemResult) and failed_judge.judge is not None
    assert failed_judge.judge.error is not None and "529 overloaded_error" in failed_judge.judge.error
    chats = [r for r in results if isinstance(r, ChatItemResult)]
    assert [r.id for r in chats] == ["medagentbench-task5_1", "medagentbench-task10_2"]
    assert all(r.error is None and r.turns and r.turns[-1].answer for r in chats)
    assert "\u2028" in chats[0].turns[0].message  # the instruction reached the agent intact

    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Hallucination gate alone (detect suites)" in report and "Safety: escalation" in report
    for name in ("kqa", "medhallu", "halueval"):
        assert f"On {name}, " in report
    assert "Second stage (claude:claude-sonnet-4-5)" in report
    assert (out / "report.html").read_text(encoding="utf-8").count('src="data:image/png;base64,') >= 2

    card_path = tmp_path / "MODEL_CARD.md"
    card = carecoord("model-card", str(out), "--out", str(card_path), env=env)
    assert card.returncode == 0, card.stderr
    text = card_path.read_text(encoding="utf-8")
    assert "### Hallucination gate per detect suite" in text
    for name in ("kqa", "medhallu", "halueval"):
        assert f"| {name} | " in text and f"- On {name}, " in text
    assert "Second stage, measured separately (claude:claude-sonnet-4-5" in text


def test_kqa_from_the_shared_folder_through_import_run_and_model_card(tmp_path: Path) -> None:
    if not (KQA_DIR / "NLI_medical_annotator.csv").is_file():
        pytest.skip(f"K-QA not found at {KQA_DIR} (the shared data folder, ../shared/data/kqa, is absent)")
    env = {"CARECOORD_DATA_DIR": str(tmp_path)}
    suite = tmp_path / "kqa.jsonl"
    imported = carecoord("import", "kqa", str(KQA_DIR), "--out", str(suite), env=env)
    assert imported.returncode == 0, imported.stderr
    run = carecoord(
        "run", str(suite), "--out", str(tmp_path / "run"), "--fail-under", "detect_auroc>=0.7",
        "--fail-over", "detect_baselines_beating_verifier=0", "--json", env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    h = json.loads(run.stdout)["headline"]
    assert h["detect_items"] == 399 and h["detect_errors"] == 0
    card_path = tmp_path / "MODEL_CARD.md"
    card = carecoord("model-card", str(tmp_path / "run"), "--out", str(card_path), env=env)
    assert card.returncode == 0, card.stderr
    assert "- On kqa, the verifier's AUROC" in card_path.read_text(encoding="utf-8")
