"""Any Unicode inside a field survives import → suite file → load → run, for every importer.

The MedHallu run that died on line 569 did so because a raw U+2029 inside a JSON string was read as a
line break. Each importer here is fed its own format (CSV, JSON, JSON Lines, Arrow) with every Unicode
line-break character, NUL, a byte-order mark, combining marks and right-to-left text in its text
fields; the suite written must be ASCII, one item per line, and load back to exactly what was imported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from evals.importers import IMPORTERS
from evals.results import DetectItemResult, read_results, write_results
from evals.runner import Engines, RunConfig, run_suites
from evals.suite import ChatCase, DetectCase, SuiteError, dump_cases, load_suite

LINE_BREAKS = "\n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029"
"""Every character `str.splitlines()` splits on."""
AWKWARD = (
    f"Dose 25 μg ({LINE_BREAKS}) NUL[\x00] BOM[\ufeff] cafe\u0301 \u05e9\u05dc\u05d5\u05dd "
    "\u202bembedded RTL\u202c \u0645\u0631\u062d\u0628\u0627 \u2067isolate\u2069 5\u221210 mg at 37\u2009\u2103"
)


def _kqa(folder: Path) -> Path:
    folder.mkdir()
    with (folder / "NLI_medical_annotator.csv").open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["", "Question", "llm_x", "answer", "claim", "category_x", "majority_label"])
        writer.writerow([0, "Q?", "m", f"answer {AWKWARD}", f"claim {AWKWARD}", "Must_have", "Entailment"])
        writer.writerow([1, "Q?", "m", f"answer {AWKWARD}", "plain claim", "Must_have", "Neutral"])
    (folder / "questions_w_answers.jsonl").write_text(
        json.dumps({"Question": "Q?", "Free_form_answer": AWKWARD}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return folder


MEDHALLU_ROW = {
    "Question": f"question {AWKWARD}",
    "Knowledge": [f"context one {AWKWARD}", f"context two {AWKWARD}"],
    "Ground Truth": f"truth {AWKWARD}",
    "Difficulty Level": "hard",
    "Hallucinated Answer": f"fake {AWKWARD}",
    "Category of Hallucination": "Incomplete Information",
}


def _medhallu_json(folder: Path) -> Path:
    path = folder / "pqa_labeled.json"
    path.write_text(json.dumps([MEDHALLU_ROW], ensure_ascii=False), encoding="utf-8")
    return path


def _medhallu_arrow(folder: Path) -> Path:
    path = folder / "data-00000-of-00001.arrow"
    table = pa.Table.from_pylist([MEDHALLU_ROW])
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return path


def _halueval(folder: Path) -> Path:
    path = folder / "qa_data.json"
    row = {
        "knowledge": f"knowledge {AWKWARD}",
        "question": f"question {AWKWARD}",
        "right_answer": f"right {AWKWARD}",
        "hallucinated_answer": f"wrong {AWKWARD}",
    }
    line = json.dumps(row, ensure_ascii=False)  # raw U+2028/U+2029/U+0085/BOM, escaped controls
    second = json.dumps({**row, "question": "another question"}, ensure_ascii=False)
    path.write_text("\ufeff" + line + "\r\n" + second + "\n", encoding="utf-8")
    return path


def _medagentbench(folder: Path) -> Path:
    path = folder / "test_data_v2.json"
    task = {"id": "task4_9", "instruction": f"instruction {AWKWARD}", "context": AWKWARD, "eval_MRN": "S1"}
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    return path


SOURCES: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "kqa": ("kqa", lambda tmp: _kqa(tmp / "kqa")),
    "medhallu-json": ("medhallu", _medhallu_json),
    "medhallu-arrow": ("medhallu", _medhallu_arrow),
    "halueval": ("halueval", _halueval),
    "medagentbench": ("medagentbench", _medagentbench),
}


def _texts(case: ChatCase | DetectCase | object) -> list[str]:
    if isinstance(case, DetectCase):
        return [case.claim, *case.evidence]
    if isinstance(case, ChatCase):
        return [m.content for m in case.messages]
    return []


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_every_importer_round_trips_awkward_unicode(tmp_path: Path, source: str) -> None:
    fmt, make = SOURCES[source]
    cases = IMPORTERS[fmt](make(tmp_path))
    assert cases, "nothing imported"
    assert any(AWKWARD in text for case in cases for text in _texts(case)), (
        "the awkward text was lost on import"
    )

    suite_path = tmp_path / "suite.jsonl"
    dump_cases(cases, suite_path)
    raw = suite_path.read_bytes()
    assert raw.isascii()
    assert raw.count(b"\n") == len(cases) and raw.decode().splitlines() == raw.decode().split("\n")[:-1]
    loaded = load_suite(suite_path)
    assert [c.model_dump() for c in loaded.cases] == [c.model_dump() for c in cases]

    if all(isinstance(c, DetectCase) for c in cases):
        summary = run_suites([loaded], Engines(), RunConfig(run_id="unicode"), tmp_path / "run")
        assert summary.headline["detect_errors"] == 0 and summary.headline["errors"] == 0
        results = read_results(tmp_path / "run" / "results.jsonl")
        assert [r.id for r in results] == [c.id for c in cases]
        assert all(isinstance(r, DetectItemResult) and r.score is not None for r in results)
        assert {r.claim for r in results if isinstance(r, DetectItemResult)} == {
            c.claim for c in cases if isinstance(c, DetectCase)
        }


def test_a_suite_written_by_another_tool_with_raw_separators_loads(tmp_path: Path) -> None:
    items = [
        {"id": "a", "kind": "detect", "claim": f"x{AWKWARD}", "evidence": [AWKWARD], "label": "supported"},
        {"id": "b", "kind": "retrieval", "query": f"y\u2029{AWKWARD}", "gold": []},
    ]
    path = tmp_path / "other.jsonl"
    text = "\ufeff" + "\r\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\r\n\r\n"
    path.write_bytes(text.encode("utf-8"))
    suite = load_suite(path)
    assert [c.id for c in suite.cases] == ["a", "b"]
    first = suite.cases[0]
    assert isinstance(first, DetectCase) and first.claim == f"x{AWKWARD}"


def test_a_broken_line_is_named_by_its_number_counting_only_newlines(tmp_path: Path) -> None:
    good = json.dumps(
        {"id": "a", "kind": "retrieval", "query": "q\u2028q\u2029q", "gold": []}, ensure_ascii=False
    )
    path = tmp_path / "broken.jsonl"
    path.write_text(good + "\n" + good.replace('"a"', '"b"') + "\n{not json\n", encoding="utf-8")
    with pytest.raises(SuiteError, match=r"broken.jsonl:3: not JSON"):
        load_suite(path)
    path.write_bytes(b'{"id": "a", "kind": "retrieval", "query": "\xff", "gold": []}\n')
    with pytest.raises(SuiteError, match=r"broken.jsonl:1: not UTF-8"):
        load_suite(path)


def test_results_round_trip_awkward_unicode(tmp_path: Path) -> None:
    result = DetectItemResult(
        suite="s",
        id="i",
        category="c",
        passed=True,
        failures=[],
        label="supported",
        score=0.5,
        predicted_supported=True,
        reason=AWKWARD,
        claim=AWKWARD,
        evidence_chars=1,
        claim_words=1,
    )
    path = tmp_path / "results.jsonl"
    write_results([result, result.model_copy(update={"id": "j"})], path)
    assert path.read_bytes().isascii() and path.read_bytes().count(b"\n") == 2
    assert read_results(path) == [result, result.model_copy(update={"id": "j"})]
