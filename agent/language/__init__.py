"""Language understanding for patient messages: spaCy + ConText + concept tables + dateparser.

Public API (see README.md):
    analyze(text, *, clock=None, prefer="past") -> Analysis
    parse_times(text, *, clock=None, prefer="past") -> tuple[TimeExpression, ...]
    Analysis.mentions / .times / .quantities; Mention, Experiencer, TimeExpression, TimeWindow, Quantity
    language_pipeline() / build_pipeline(sources)      the shared spaCy pipeline / a custom one
    TargetRule, register_source(name, fn)              add a data table of target phrases

Exports load on first use (PEP 562): reading or resuming a thread imports this package's cheap
modules without paying for spaCy, torch or sklearn, which only a turn needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from agent.language.models import (
        Analysis,
        Category,
        Experiencer,
        Kind,
        Mention,
        Modifier,
        Quantity,
        TimeExpression,
    )
    from agent.language.pipeline import analyze, build_pipeline, language_pipeline, parse_times
    from agent.language.targets import TargetRule, register_source, registered_sources
    from agent.language.times import Direction
    from tools.clock import Clock, TimeWindow

_HOMES: dict[str, str] = {
    "Analysis": "agent.language.models",
    "Category": "agent.language.models",
    "Experiencer": "agent.language.models",
    "Kind": "agent.language.models",
    "Mention": "agent.language.models",
    "Modifier": "agent.language.models",
    "Quantity": "agent.language.models",
    "TimeExpression": "agent.language.models",
    "analyze": "agent.language.pipeline",
    "build_pipeline": "agent.language.pipeline",
    "language_pipeline": "agent.language.pipeline",
    "parse_times": "agent.language.pipeline",
    "TargetRule": "agent.language.targets",
    "register_source": "agent.language.targets",
    "registered_sources": "agent.language.targets",
    "Direction": "agent.language.times",
    "Clock": "tools.clock",
    "TimeWindow": "tools.clock",
}
"""Exported name → the module it lives in."""


__getattr__ = lazy_exports(__name__, _HOMES)


__all__ = [
    "Analysis",
    "Category",
    "Clock",
    "Direction",
    "Experiencer",
    "Kind",
    "Mention",
    "Modifier",
    "Quantity",
    "TargetRule",
    "TimeExpression",
    "TimeWindow",
    "analyze",
    "build_pipeline",
    "language_pipeline",
    "parse_times",
    "register_source",
    "registered_sources",
]
