"""`carecoord eval` as a user runs it: subprocesses, exit codes, files. Detect-only runs need no server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carecoord.cli import app

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evals"


def carecoord(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CARECOORD_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "carecoord", "eval", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )


def test_import_run_bounds_compare_and_model_card(tmp_path: Path) -> None:
    suite = tmp_path / "kqa_fixture.jsonl"
    imported = carecoord("import", "kqa", str(FIXTURES / "kqa"), "--out", str(suite), data_dir=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "Wrote 4 items" in imported.stdout and len(suite.read_text(encoding="utf-8").splitlines()) == 4

    first = carecoord(
        "run", str(suite), str(FIXTURES / "detect_small.jsonl"), "--out", str(tmp_path / "a"),
        "--fail-under", "detect_accuracy=0.99", "--fail-over", "kqa_fixture.detect_items<=10", "--json",
        data_dir=tmp_path,
    )  # fmt: skip
    assert first.returncode == 1, first.stderr
    assert "FAILED bound detect_accuracy >= 0.99" in first.stderr
    assert "kqa_fixture.detect_items" not in first.stderr
    summary = json.loads(first.stdout)
    assert summary["headline"]["detect_items"] == 10
    assert [b["passed"] for b in summary["bounds"]] == [False, True]
    for name in ("results.jsonl", "summary.json", "report.md", "report.html", "plots/detect_roc.png"):
        assert (tmp_path / "a" / name).is_file(), name

    second = carecoord(
        "run", str(FIXTURES / "detect_small.jsonl"), "--out", str(tmp_path / "b"), "--fail-under", "detect_auroc>=0.5",
        data_dir=tmp_path,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "detect_auroc" in second.stdout

    compared = carecoord("compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json", data_dir=tmp_path)
    assert compared.returncode == 0, compared.stderr
    comparison = json.loads(compared.stdout)
    assert any("different suites" in c for c in comparison["caveats"])
    assert comparison["only_in_a"] == 4

    card = tmp_path / "MODEL_CARD.md"
    written = carecoord("model-card", str(tmp_path / "b"), "--out", str(card), data_dir=tmp_path)
    assert written.returncode == 0, written.stderr
    assert "## Intended use" in card.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", str(FIXTURES / "detect_small.jsonl"), "--fail-under", "detect_aurok=0.5"],
            "unknown metric 'detect_aurok'",
        ),
        (["run", str(FIXTURES / "detect_small.jsonl"), "--fail-under", "detect_auroc"], "cannot read bound"),
        (["run", str(FIXTURES / "detect_small.jsonl"), "--reasoner", "gpt"], "--reasoner must be"),
        (["run", str(FIXTURES / "detect_small.jsonl"), "--judge"], "--judge needs ANTHROPIC_API_KEY"),
        (["run", "missing.jsonl"], "missing.jsonl: cannot read"),
        (
            ["import", "medhallu", str(FIXTURES / "halueval_qa_data.json"), "--out", "x.jsonl"],
            "cannot import",
        ),
        (["import", "nope", str(FIXTURES), "--out", "x.jsonl"], "unknown format 'nope'"),
        (["compare", ".", "."], "is not an eval run"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        app,
        ["eval", *args],
        env={"CARECOORD_DATA_DIR": str(tmp_path), "COLUMNS": "200", "ANTHROPIC_API_KEY": ""},
    )
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_list_shows_the_shipped_suites() -> None:
    result = CliRunner().invoke(app, ["eval", "list", "--json"])
    assert result.exit_code == 0, result.output
    names = {row["name"]: row for row in json.loads(result.stdout)}
    assert names["retrieval"]["kinds"] == {"retrieval": names["retrieval"]["items"]}
