"""The hallucination gate: is this sentence supported by the text it cites?

Backend-independent, and lexical plus structural on purpose. Both sides are normalised first
(`normalize.py`: NFKC, one spelling of micro, degree, dashes, spaces and quotes). A sentence is
unsupported when it cites nothing, when any of its atoms (number, dose, date, time, medication name)
is stated by none of its citations, when it reverses what its citations say (`relations.py`: swapped
sides of a relation, a flipped direction; `qualifiers.py`: a flipped negation, a hedge made certain,
read with ConText), or when too little of its wording is found there. Embedding similarity is not
used as evidence: on MedHallu, MiniLM similarity separated supported from hallucinated answers worse
than chance, because it measures whether two texts are about the same topic, not whether one states
the other. An optional second stage (`judge.py`) asks Claude about entailment; it is not part of this
class, and it is measured apart.

Calibration (K-QA, `python -m evals.kqa`): evidence = the model answer the physicians judged,
claim = the physician's statement, supported = Entailment; 399 claims, 153 supported. See
`evals/kqa.py` for why that pairing and not the README's (which scores AUROC 0.48: no signal).

    verifier score AUROC 0.772 (bootstrap 95% CI 0.73-0.82); coverage alone 0.727
    style-only baselines: evidence length 0.568, claim length 0.558, TF-IDF(claim) LR 0.547
    max F1:              threshold 0.333, precision 0.543, recall 0.863, F1 0.667
    default (0.38):      precision 0.571, recall 0.765, F1 0.654
    the atom check alone flags 41 claims, 38 of them unsupported (precision 0.93)
    the conflict checks flag 6 claims, all 6 unsupported (4 negation flips, 2 direction flips);
    before them (atoms and coverage only): AUROC 0.758, precision 0.557 at the default

K-QA pairs a physician's claim with a model's paraphrase, so supported claims share less wording
with their evidence than a sentence composed from the passage it cites will; the threshold is the
precision-leaning end of K-QA's flat F1 plateau, not its argmax, for that reason too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from agent.grounding.claims import missing_atoms
from agent.grounding.context_qualifiers import context_qualifiers
from agent.grounding.coverage import coverage_detail
from agent.grounding.lexicon import DrugLexicon, load_drug_lexicon
from agent.grounding.normalize import normalize_text
from agent.grounding.qualifiers import QualifierReader, QualifierView, qualifier_conflicts, qualifier_view
from agent.grounding.relations import Conflict, RelationView, conflicts_between, relation_view
from agent.grounding.tokens import read_tokens


@dataclass(frozen=True, eq=False)
class _TextView:
    relations: RelationView
    qualifiers: QualifierView | None


@lru_cache(maxsize=4096)
def _text_view(text: str, lexicon: DrugLexicon, reader: QualifierReader | None) -> _TextView:
    """One text read for the conflict checks.

    Cached, because an answer's passages are read for every sentence that cites them.
    """
    tokens = read_tokens(text, lexicon)
    if reader is None:
        return _TextView(relation_view(tokens), None)
    read = reader.read(tokens)
    return _TextView(relation_view(tokens, negated=read.negated_at), qualifier_view(tokens, read))


DEFAULT_THRESHOLD = 0.38
"""Coverage a sentence needs once all its atoms are found: the highest K-QA cut within 0.015 of
the best F1 (see `evals.kqa.F1_TOLERANCE`)."""
CONFLICT_WEIGHT = 0.1
"""A sentence that reverses its source keeps a tenth of its coverage as its score: below any usable
threshold, above the 0 of a missing atom, and still ordered by how much of it the source covers."""
DEFAULT_BIGRAM_WEIGHT = 0.0
"""Share of the coverage score given to bigram overlap. 0: on K-QA every weight tried lowered the
AUROC (0.754 at 0.25, 0.745 at 0.5), paraphrases keep words but not their order."""


@dataclass(frozen=True)
class SentenceVerdict:
    """The gate's decision on one sentence, with enough detail to explain it to a reviewer."""

    sentence: str
    supported: bool
    score: float
    """Continuous support score for ranking (AUROC): coverage, or 0 when an atom is missing."""
    coverage: float
    missing: tuple[str, ...]
    """Atoms of the sentence no citation states, as written in the sentence once normalised
    (`normalize.normalize_text`: a micro sign shows as the Greek mu it folds to)."""
    reason: str
    conflicts: tuple[Conflict, ...] = ()
    """Where the sentence reverses its source: swapped sides, flipped direction, negation or hedge."""


@dataclass(frozen=True)
class AnswerVerdict:
    """Verdicts for every sentence of an answer; `removed` lists the sentences that fail."""

    verdicts: tuple[SentenceVerdict, ...]
    supported: bool
    removed: tuple[str, ...]


@dataclass(frozen=True)
class Verifier:
    """Checks sentences against the texts they cite (passages, or FHIR resources via render)."""

    threshold: float = DEFAULT_THRESHOLD
    bigram_weight: float = DEFAULT_BIGRAM_WEIGHT
    lexicon: DrugLexicon = field(default_factory=load_drug_lexicon, repr=False)
    qualifiers: QualifierReader | None = field(default_factory=context_qualifiers, repr=False)
    """Reads negation and hedges (ConText) for the negation-flip and hedge checks; None skips both."""

    def check(self, sentence: str, cited_texts: Sequence[str]) -> SentenceVerdict:
        """Decide whether `cited_texts` (together) support `sentence`."""
        texts = [normalize_text(t) for t in cited_texts if t.strip()]
        texts = [t for t in texts if t.strip()]
        if not texts:
            return SentenceVerdict(sentence, False, 0.0, 0.0, (), "cites no text")
        claim = normalize_text(sentence)
        detail = coverage_detail(claim, texts, bigram_weight=self.bigram_weight, lexicon=self.lexicon)
        missing = tuple(atom.text for atom in missing_atoms(claim, texts, self.lexicon))
        conflicts = self.conflicts(claim, texts)
        if missing:
            reason = f"not in the cited text: {', '.join(missing)}"
            return SentenceVerdict(sentence, False, 0.0, detail.score, missing, reason, conflicts)
        if conflicts:
            score = CONFLICT_WEIGHT * detail.score
            reason = f"contradicts the cited text: {'; '.join(c.describe() for c in conflicts)}"
            return SentenceVerdict(sentence, False, score, detail.score, (), reason, conflicts)
        if detail.score < self.threshold:
            shown = ", ".join(detail.uncovered[:8])
            reason = f"coverage {detail.score:.2f} < {self.threshold:.2f} (unsupported words: {shown})"
            return SentenceVerdict(sentence, False, detail.score, detail.score, (), reason)
        reason = f"all atoms found, coverage {detail.score:.2f}"
        return SentenceVerdict(sentence, True, detail.score, detail.score, (), reason)

    def conflicts(self, claim: str, texts: Sequence[str]) -> tuple[Conflict, ...]:
        """Swapped relations, flipped directions and negations, hedges made certain.

        Both the claim and its sources arrive normalised (`normalize_text`).
        """
        mine = _text_view(claim, self.lexicon, self.qualifiers)
        sources = [_text_view(t, self.lexicon, self.qualifiers) for t in texts]
        found = conflicts_between(mine.relations, [s.relations for s in sources])
        if mine.qualifiers is not None:
            found += qualifier_conflicts(mine.qualifiers, [s.qualifiers for s in sources if s.qualifiers])
        return tuple(found)

    def check_answer(self, sentences: Sequence[tuple[str, Sequence[str]]]) -> AnswerVerdict:
        """Check each (sentence, cited texts) pair; the answer stands only if every sentence does."""
        verdicts = tuple(self.check(sentence, texts) for sentence, texts in sentences)
        removed = tuple(v.sentence for v in verdicts if not v.supported)
        return AnswerVerdict(verdicts=verdicts, supported=not removed, removed=removed)
