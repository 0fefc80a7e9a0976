"""The hallucination gate: checks that a sentence is supported by what it cites.

`Verifier.check(sentence, cited_texts)` is the entry point (the offline stage); FHIR citations are
flattened with `render_resource_text` first so they are checked exactly like guidance passages. The
optional second stage is an `EntailmentJudge` (Claude's, in `agent.reasoners.claude_judge`).
"""

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
