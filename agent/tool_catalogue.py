"""The tool catalogue (`tool_catalogue.yaml`): each tool's name, risk, model-facing doc, arguments and status line.

One reviewable file instead of names scattered through the code: the Claude tool schemas, the chat widget's
progress lines and the tool names an eval suite may expect are all derived from it. The `ReadTool` and
`DraftTool` Literals in `agent.models` stay for the type checker; unit tests keep them equal to the catalogue.

Docs may name a concept table with a placeholder (`{labs}`, `{specialties}`, `{vaccines}`); it is filled
when the catalogue loads, so the model is offered exactly the codes and ids the record search understands.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from agent.matching import LAB_CODES, SPECIALTY_WORDS
from agent.models import DraftTool, ReadTool
from tools.concepts import vaccines
from tools.drafts import Risk

CATALOGUE_PATH = Path(__file__).with_name("tool_catalogue.yaml")


class ToolArg(BaseModel):
    """One argument the toolbox reads; optional unless `required`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    doc: str
    type: Literal["string", "integer"] = "string"
    required: bool = False


class CatalogueTool(BaseModel):
    """One tool as the model, the widget and the evals know it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ReadTool | DraftTool
    risk: Risk
    doc: str
    args: tuple[ToolArg, ...] = ()
    status: str
    """The patient-facing progress line shown while it runs."""


class ToolCatalogue(BaseModel):
    """Every tool, in the order the model is offered them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tools: tuple[CatalogueTool, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Every tool's name, in catalogue order."""
        return tuple(tool.name for tool in self.tools)

    def of_risk(self, risk: Risk) -> tuple[str, ...]:
        """The names of the tools at one risk level."""
        return tuple(tool.name for tool in self.tools if tool.risk is risk)

    def status_lines(self) -> dict[str, str]:
        """Tool name → the progress line the widget shows while it runs."""
        return {tool.name: tool.status for tool in self.tools}


def doc_tables() -> dict[str, str]:
    """The concept tables a doc may name, as the text the model reads."""
    return {
        "labs": ", ".join(f"{code} ({name})" for code, (name, _) in LAB_CODES.items()),
        "specialties": ", ".join(SPECIALTY_WORDS),
        "vaccines": ", ".join(vaccines()),
    }


def _filled(text: str, tables: Mapping[str, str]) -> str:
    """`text` with its placeholders filled; an unknown placeholder is a catalogue bug and raises KeyError."""
    return text.format_map(tables)


def load_catalogue(path: Path, tables: Mapping[str, str]) -> ToolCatalogue:
    """Read and validate a catalogue file, filling its docs' placeholders from `tables`."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for tool in raw["tools"]:
        tool["doc"] = _filled(tool["doc"], tables)
        for arg in tool.get("args", ()):
            arg["doc"] = _filled(arg["doc"], tables)
    catalogue = ToolCatalogue.model_validate(raw)
    if len(set(catalogue.names)) != len(catalogue.names):
        raise ValueError(f"{path}: a tool name appears twice")
    return catalogue


@lru_cache(maxsize=1)
def tool_catalogue() -> ToolCatalogue:
    """The shipped catalogue, loaded once."""
    return load_catalogue(CATALOGUE_PATH, doc_tables())
