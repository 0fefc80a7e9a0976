"""The tools Claude may ask for while planning, described for the model, and how its picks become a Plan.

One tool per read/draft tool in the catalogue (`agent/tool_catalogue.yaml`: its doc and the arguments
`agent.toolbox` actually reads). None takes a patient id: the record is bound to the session's patient
before the model sees anything.
`set_intent` carries the classification itself (intent, confidence, whether vetted guidance is
needed), so the whole plan comes back as tool_use blocks in one reply.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast, get_args

import yaml
from anthropic.types import Message, ToolParam, ToolUseBlock

from agent.intents import INTENTS_PATH
from agent.models import DraftTool, Intent, Plan, ReadTool, ToolRequest
from agent.reasoners.base import ReasonerError
from agent.tool_catalogue import CatalogueTool, tool_catalogue

SET_INTENT = "set_intent"
MAX_TOOLS = 4
"""More record reads than this in one turn is a confused plan; the rest are dropped."""
KNOWN_INTENTS: tuple[str, ...] = get_args(Intent)


def tool_param(tool: CatalogueTool) -> ToolParam:
    """A catalogue tool as a Messages-API tool definition."""
    properties: dict[str, object] = {
        arg.name: {"type": arg.type, "description": arg.doc} for arg in tool.args
    }
    required = [arg.name for arg in tool.args if arg.required]
    return {
        "name": tool.name,
        "description": tool.doc,
        "input_schema": {"type": "object", "properties": properties, "required": required},
    }


TOOL_SPECS: tuple[ToolParam, ...] = tuple(tool_param(tool) for tool in tool_catalogue().tools)
"""One definition per catalogue tool, in catalogue order."""
KNOWN_TOOLS: frozenset[str] = frozenset(tool_catalogue().names)


@lru_cache(maxsize=1)
def _intent_descriptions() -> str:
    data = yaml.safe_load(INTENTS_PATH.read_text(encoding="utf-8"))["intents"]
    return "\n".join(f"- {name}: {spec.get('description', '')}" for name, spec in data.items())


def set_intent_param() -> ToolParam:
    """The classification tool; the model must call it exactly once per plan."""
    return {
        "name": SET_INTENT,
        "description": "Record what the patient wants this turn. Call it exactly once, with any record "
        "tools the answer needs in the same reply. Intents:\n" + _intent_descriptions(),
        "input_schema": {
            "type": "object",
            "properties": {
                "intent": {"type": "string", "enum": list(KNOWN_INTENTS)},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "needs_guidance": {
                    "type": "boolean",
                    "description": "True when the answer needs the clinic's vetted patient-education "
                    "library (how to take a medicine, missed doses, self-care, symptoms, clinic policy).",
                },
                "guidance_query": {
                    "type": "string",
                    "description": "What to search the library for, with generic drug names.",
                },
                "target": {
                    "type": "string",
                    "description": "The medicine, specialty or date the patient means, resolved from "
                    "the conversation (e.g. 'the other one' → the medicine not discussed last turn).",
                },
            },
            "required": ["intent", "confidence", "needs_guidance"],
        },
    }


def tool_params() -> list[ToolParam]:
    """Every tool for the plan call; the last carries the prompt-cache breakpoint."""
    params = [*TOOL_SPECS, set_intent_param()]
    params[-1] = {**params[-1], "cache_control": {"type": "ephemeral"}}
    return params


def plan_from_message(message: Message, question: str) -> Plan:
    """Turn the reply's tool_use blocks into a Plan; `ReasonerError` when it is not one.

    A plan that needs guidance but names no query searches for the patient's own words.
    """
    uses = [block for block in message.content if isinstance(block, ToolUseBlock)]
    intents = [block for block in uses if block.name == SET_INTENT]
    if len(intents) != 1:
        raise ReasonerError(f"Claude plan called {SET_INTENT} {len(intents)} times, expected once")
    chosen = intents[0].input
    intent = chosen.get("intent")
    if intent not in KNOWN_INTENTS:
        raise ReasonerError(f"Claude plan returned an unknown intent: {intent!r}")
    try:
        confidence = min(1.0, max(0.0, float(str(chosen.get("confidence", 0.0)))))
    except ValueError as exc:
        raise ReasonerError("Claude plan returned a confidence that is not a number") from exc
    requests: list[ToolRequest] = []
    for block in uses:
        if block.name == SET_INTENT:
            continue
        if block.name not in KNOWN_TOOLS:
            raise ReasonerError(f"Claude plan asked for an unknown tool: {block.name!r}")
        args = {key: str(value) for key, value in block.input.items() if value not in (None, "")}
        request = ToolRequest(tool=cast(ReadTool | DraftTool, block.name), args=args)
        if request not in requests:
            requests.append(request)
    query = str(chosen.get("guidance_query") or "").strip()
    needs_guidance = bool(chosen.get("needs_guidance"))
    target = str(chosen.get("target") or "").strip()
    return Plan(
        intent=cast(Intent, intent),
        confidence=confidence,
        tools=tuple(requests[:MAX_TOOLS]),
        needs_guidance=needs_guidance,
        guidance_query=(query or question) if needs_guidance else None,
        target=target or None,
        reasoner="claude",
    )
