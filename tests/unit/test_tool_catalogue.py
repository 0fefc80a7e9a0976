"""The tool catalogue is the one list of tools: the Literals, the toolbox, the model, the widget and evals agree with it."""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from pathlib import Path
from typing import get_args

import pytest

from agent.models import DraftTool, Plan, ReadTool, ToolRequest
from agent.reasoners.claude_tools import KNOWN_TOOLS, SET_INTENT, tool_params
from agent.tool_catalogue import doc_tables, load_catalogue, tool_catalogue
from agent.toolbox import Toolbox
from evals.suite import KNOWN_TOOLS as SUITE_TOOLS
from evals.suite import LOGGED_ONLY_TOOLS
from tools.drafts import Risk
from ui.api.status import plan_lines, status_lines

SNAPSHOT = Path(__file__).parents[1] / "fixtures" / "claude_tool_params.json"
"""The tools and argument names Claude was offered before the catalogue existed (taken from the old
hand-written `TOOL_SPECS`)."""


def _run_one_cases() -> set[str]:
    """The tool names `Toolbox._run_one`'s `match` has a case for."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(Toolbox._run_one)))
    matches = [node for node in ast.walk(tree) if isinstance(node, ast.Match)]
    assert len(matches) == 1
    names: set[str] = set()
    for case in matches[0].cases:
        patterns = case.pattern.patterns if isinstance(case.pattern, ast.MatchOr) else [case.pattern]
        for pattern in patterns:
            assert isinstance(pattern, ast.MatchValue) and isinstance(pattern.value, ast.Constant)
            names.add(pattern.value.value)
    return names


def test_read_and_draft_names_are_the_model_literals() -> None:
    catalogue = tool_catalogue()
    assert set(catalogue.of_risk(Risk.READ)) == set(get_args(ReadTool))
    assert set(catalogue.of_risk(Risk.DRAFT)) == set(get_args(DraftTool))
    assert catalogue.of_risk(Risk.COMMIT) == ()


def test_the_toolbox_runs_every_catalogue_tool_and_nothing_else() -> None:
    assert _run_one_cases() == set(tool_catalogue().names)


def test_every_tool_has_a_status_line_the_widget_shows() -> None:
    lines = status_lines().tools
    assert set(lines) == set(tool_catalogue().names)
    assert all(line.strip() and line.endswith("…") for line in lines.values())
    plan = Plan(intent="lab_result", confidence=0.9, tools=(ToolRequest(tool="observations"),))
    assert plan_lines(plan) == ["Looking up your test results…"]


def test_claude_is_offered_the_same_tools_and_arguments_as_before_the_catalogue() -> None:
    before = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    now = {
        param["name"]: {
            "args": {
                name: {"type": spec["type"], "required": name in param["input_schema"]["required"]}
                for name, spec in param["input_schema"]["properties"].items()
            }
        }
        for param in json.loads(json.dumps(tool_params()))
        if param["name"] != SET_INTENT
    }
    assert now == before
    assert list(now) == list(before)
    assert set(KNOWN_TOOLS) == set(before)


def test_docs_name_the_concept_tables_filled_at_load() -> None:
    catalogue = {tool.name: tool for tool in tool_catalogue().tools}
    code_doc = next(arg.doc for arg in catalogue["observations"].args if arg.name == "code")
    vaccine_doc = catalogue["immunizations"].args[0].doc
    assert code_doc == f"LOINC code of one test: {doc_tables()['labs']}."
    assert "4548-4" in code_doc
    assert doc_tables()["vaccines"] in vaccine_doc and "{" not in vaccine_doc


def test_an_unknown_placeholder_or_a_repeated_name_is_refused(tmp_path: Path) -> None:
    tool = "  - {name: conditions, risk: read, doc: '%s', status: 'Checking…'}\n"
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("tools:\n" + tool % "One of {drugs}.", encoding="utf-8")
    with pytest.raises(KeyError, match="drugs"):
        load_catalogue(unknown, doc_tables())
    twice = tmp_path / "twice.yaml"
    twice.write_text("tools:\n" + tool % "Problems." + tool % "Problems.", encoding="utf-8")
    with pytest.raises(ValueError, match="twice"):
        load_catalogue(twice, doc_tables())


def test_eval_suites_may_name_every_catalogue_tool_and_the_logged_extras() -> None:
    assert SUITE_TOOLS == set(tool_catalogue().names) | {
        "medication",
        "slot",
        "draft_cancellation",
        "draft_reschedule",
    }
    assert not LOGGED_ONLY_TOOLS & set(tool_catalogue().names)
