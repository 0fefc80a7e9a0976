"""Language understanding for patient messages: spaCy + ConText + concept tables + dateparser.

Public API (see README.md):
    analyze(text, *, clock=None, prefer="past") -> Analysis
    parse_times(text, *, clock=None, prefer="past") -> tuple[TimeExpression, ...]
    Analysis.mentions / .times / .quantities; Mention, Experiencer, TimeExpression, TimeWindow, Quantity
    language_pipeline() / build_pipeline(sources)      the shared spaCy pipeline / a custom one
    TargetRule, register_source(name, fn)              add a data table of target phrases
"""

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
