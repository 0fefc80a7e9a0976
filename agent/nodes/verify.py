"""verify: the backend-independent hallucination gate; unsupported sentences never reach the patient.

Two stages. The offline verifier checks every claim sentence against what it cites. When Claude wrote
the prose and a judge is configured, the sentences that passed are judged once more, all in one call,
by Claude reading entailment (`agent.grounding.judge`): the judge can only remove. If the judge fails,
the offline verdicts stand and the trace says so. The trace names the stage that removed each sentence.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.grounding.derived import derived_text, series_text
from agent.grounding.judge import Claim, JudgeError
from agent.grounding.render import render_resource_text
from agent.grounding.series_check import series_conflicts
from agent.models import AnswerSentence, ComposedAnswer, Evidence, Grounding
from agent.state import TurnState


def _cited_texts(evidence: Evidence, today: date) -> dict[str, str]:
    """Citation id → the text a sentence citing it may rely on (plus what the verifier derives from it)."""
    texts = {p.id: p.text for p in evidence.passages}
    for fact in evidence.facts:
        body = fact.source.json_body
        derived = derived_text(body, today)
        ref = fact.source.reference
        texts.setdefault(ref, render_resource_text(body) + (f"\n{derived}" if derived else ""))
        if fact.components:
            texts[ref] += "\n" + series_text([c.json_body for c in fact.components])
    return texts


def verify(state: TurnState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Check every claim sentence against what it cites; drop the unsupported ones."""
    assert state.answer is not None
    evidence = state.evidence or Evidence()
    texts = _cited_texts(evidence, runtime.context.clock.today())
    components: dict[str, list[dict[str, Any]]] = {}
    for fact in evidence.facts:
        components.setdefault(fact.source.reference, []).extend(c.json_body for c in fact.components)
    by_number = {c.n: c.id for c in state.answer.citations}
    passed: list[tuple[int, AnswerSentence, tuple[str, ...]]] = []
    claims = 0
    removed: list[str] = []
    trace = list(state.trace)
    for index, sentence in enumerate(state.answer.sentences):
        if sentence.procedural or sentence.safety:
            continue
        claims += 1
        cited = tuple(texts[by_number[n]] for n in sentence.cites if n in by_number and by_number[n] in texts)
        verdict = runtime.context.verifier.check(sentence.text, cited)
        refs = {by_number[n] for n in sentence.cites if n in by_number}
        wrong = series_conflicts(sentence.text, [b for r in refs for b in components.get(r, ())])
        if verdict.supported and wrong:
            removed.append(f"{sentence.text!r}: derived numbers: {'; '.join(wrong)}")
        elif verdict.supported:
            passed.append((index, sentence, cited))
        else:
            removed.append(f"{sentence.text!r}: {verdict.reason}")
    judged, judge_removed = 0, 0
    judge = runtime.context.judge
    if judge is not None and state.reasoner == "claude" and passed:
        try:
            judgements = judge.judge([Claim(s.text, cited) for _, s, cited in passed])
        except JudgeError as exc:
            trace.append(f"verify: judge {judge.name} unavailable ({exc}); offline verdicts stand")
        else:
            judged = len(judgements)
            still = []
            for (index, sentence, cited), judgement in zip(passed, judgements, strict=True):
                if judgement.supported:
                    still.append((index, sentence, cited))
                else:
                    removed.append(f"{sentence.text!r}: judge: {judgement.verdict}, {judgement.reason}")
            judge_removed = judged - len(still)
            passed = still
            trace.append(f"verify: judge {judge.name} removed {judge_removed}/{judged}")
    keep = {index for index, _, _ in passed}
    kept = [s for i, s in enumerate(state.answer.sentences) if s.procedural or s.safety or i in keep]
    supported = len(passed)
    used = {n for s in kept for n in s.cites}
    answer = ComposedAnswer(
        sentences=tuple(kept),
        citations=tuple(c for c in state.answer.citations if c.n in used),
        substantive=state.answer.substantive and (claims == 0 or supported > 0),
    )
    trace += [f"verify: {supported}/{claims} supported", *(f"verify: removed {r}" for r in removed)]
    grounding = Grounding(
        sentences=claims,
        supported=supported,
        removed=len(removed),
        judged=judged,
        judge_removed=judge_removed,
    )
    return {"answer": answer, "grounding": grounding, "trace": trace, "steps": state.steps + 1}
