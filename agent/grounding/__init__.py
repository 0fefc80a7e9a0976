"""The hallucination gate: checks that a sentence is supported by what it cites.

`Verifier.check(sentence, cited_texts)` is the entry point (the offline stage); FHIR citations are
flattened with `render_resource_text` first so they are checked exactly like guidance passages. The
optional second stage is an `EntailmentJudge` (Claude's, in `agent.reasoners.claude_judge`).

Exports load on first use (PEP 562): reading or resuming a thread imports this package's cheap
modules without paying for spaCy, torch or sklearn, which only a turn needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from agent.grounding.atom import Atom
    from agent.grounding.claims import SourceAtoms, extract_atoms, missing_atoms
    from agent.grounding.coverage import Coverage, coverage, coverage_detail
    from agent.grounding.judge import Claim, EntailmentJudge, JudgeError, Judgement
    from agent.grounding.lexicon import DrugLexicon, load_drug_lexicon
    from agent.grounding.normalize import normalize_text
    from agent.grounding.qualifiers import Qualified, QualifierReader
    from agent.grounding.relations import Conflict
    from agent.grounding.render import render_resource_text
    from agent.grounding.verifier import DEFAULT_THRESHOLD, AnswerVerdict, SentenceVerdict, Verifier

_HOMES: dict[str, str] = {
    "Atom": "agent.grounding.atom",
    "SourceAtoms": "agent.grounding.claims",
    "extract_atoms": "agent.grounding.claims",
    "missing_atoms": "agent.grounding.claims",
    "Coverage": "agent.grounding.coverage",
    "coverage": "agent.grounding.coverage",
    "coverage_detail": "agent.grounding.coverage",
    "Claim": "agent.grounding.judge",
    "EntailmentJudge": "agent.grounding.judge",
    "JudgeError": "agent.grounding.judge",
    "Judgement": "agent.grounding.judge",
    "DrugLexicon": "agent.grounding.lexicon",
    "load_drug_lexicon": "agent.grounding.lexicon",
    "normalize_text": "agent.grounding.normalize",
    "Qualified": "agent.grounding.qualifiers",
    "QualifierReader": "agent.grounding.qualifiers",
    "Conflict": "agent.grounding.relations",
    "render_resource_text": "agent.grounding.render",
    "DEFAULT_THRESHOLD": "agent.grounding.verifier",
    "AnswerVerdict": "agent.grounding.verifier",
    "SentenceVerdict": "agent.grounding.verifier",
    "Verifier": "agent.grounding.verifier",
}
"""Exported name → the module it lives in."""


__getattr__ = lazy_exports(__name__, _HOMES)


__all__ = [
    "DEFAULT_THRESHOLD",
    "AnswerVerdict",
    "Atom",
    "Claim",
    "Conflict",
    "Coverage",
    "DrugLexicon",
    "EntailmentJudge",
    "JudgeError",
    "Judgement",
    "Qualified",
    "QualifierReader",
    "SentenceVerdict",
    "SourceAtoms",
    "Verifier",
    "coverage",
    "coverage_detail",
    "extract_atoms",
    "load_drug_lexicon",
    "missing_atoms",
    "normalize_text",
    "render_resource_text",
]
