"""Status lines derived from what the turn is doing (its plan, tools and escalation).

The turn-wide lines live in `status.yaml`; each tool's line lives with the tool in the catalogue
(`agent/tool_catalogue.yaml`), so a new tool cannot ship without one.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel

from agent.models import Plan
from agent.tool_catalogue import tool_catalogue

STATUS_FILE = Path(__file__).with_name("status.yaml")


class StatusLines(BaseModel):
    """The copy in `status.yaml`, plus each catalogue tool's line in `tools`."""

    reading: str
    guidance: str
    escalation: str
    tools: dict[str, str]


@lru_cache(maxsize=1)
def status_lines() -> StatusLines:
    """The status copy, loaded once."""
    turn_lines = yaml.safe_load(STATUS_FILE.read_text(encoding="utf-8"))
    return StatusLines.model_validate({**turn_lines, "tools": tool_catalogue().status_lines()})


def plan_lines(plan: Plan) -> list[str]:
    """What a turn with this plan is doing, in order: one line per known tool, then guidance."""
    copy = status_lines()
    lines = [copy.tools[request.tool] for request in plan.tools if request.tool in copy.tools]
    if plan.needs_guidance:
        lines.append(copy.guidance)
    return list(dict.fromkeys(lines))
