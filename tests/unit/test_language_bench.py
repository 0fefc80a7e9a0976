"""The language micro-benchmark runs and reports what it promises."""

from __future__ import annotations

import pytest

from agent.language import analyze
from agent.language.bench import main, messages, percentile


def test_messages_are_varied_and_reproducible() -> None:
    batch = messages(200)
    assert len(batch) == 200 and batch == messages(200)
    assert len(set(batch)) > 150
    kinds = {m.kind for text in batch for m in analyze(text).mentions}
    assert {"lab_or_vital", "medication", "symptom", "condition", "specialty", "person"} <= kinds


def test_percentile() -> None:
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0
    assert percentile([3.0], 50) == 3.0


def test_main_prints_p50_and_p95(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--messages", "20", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "20 messages x 1 rounds" in out and "p50" in out and "p95" in out
