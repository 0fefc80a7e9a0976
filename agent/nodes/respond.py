"""respond: assemble the patient-facing text, emergency instructions first, citations renumbered."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.models import AnswerSentence, Citation, ComposedAnswer
from agent.responses import responses
from agent.state import Exchange, TurnState
from agent.transcript import TranscriptLine


def _refusal_text(kind: str) -> str:
    said = responses()
    return {
        "other_patient": said.refusal_other_patient,
        "prompt_injection": said.refusal_prompt_injection,
        "dose_change": said.refusal_dose_change,
    }[kind]


def _renumber(answer: ComposedAnswer) -> tuple[list[AnswerSentence], list[Citation]]:
    """Number citations 1..n in order of first use after verification removed sentences."""
    by_old = {c.n: c for c in answer.citations}
    mapping: dict[int, int] = {}
    sentences = []
    for sentence in answer.sentences:
        for n in sentence.cites:
            if n in by_old and n not in mapping:
                mapping[n] = len(mapping) + 1
        sentences.append(
            sentence.model_copy(update={"cites": tuple(mapping[n] for n in sentence.cites if n in mapping)})
        )
    citations = [
        by_old[old].model_copy(update={"n": new}) for old, new in sorted(mapping.items(), key=lambda i: i[1])
    ]
    return sentences, citations


def _lab_concept(state: TurnState) -> str | None:
    """The lab concept this turn's plan searched by, if it searched one."""
    tools = state.plan.tools if state.plan else ()
    return next(
        (t.args["concept"] for t in tools if t.tool == "observations" and t.args.get("concept")), None
    )


def _lab_back(state: TurnState) -> int:
    """How far back from the latest result this turn's lab search went (0: the latest)."""
    tools = state.plan.tools if state.plan else ()
    backs = [t.args.get("back", "0") for t in tools if t.tool == "observations" and t.args.get("concept")]
    return int(backs[0]) if backs and backs[0].isdigit() else 0


def _lab_bound(state: TurnState, name: str) -> str | None:
    """A window bound (`start`, `end`) of this turn's lab search, if it had one."""
    tools = state.plan.tools if state.plan else ()
    return next((t.args[name] for t in tools if t.tool == "observations" and t.args.get(name)), None)


def respond(state: TurnState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Write the final answer and remember the exchange for follow-ups."""
    screen = state.screen
    lead: list[AnswerSentence] = []
    if screen and (screen.red_flag or screen.protocol) and screen.instructions:
        lead.append(AnswerSentence(text=screen.instructions, safety=True))
    if screen and screen.refusal:
        lead.append(AnswerSentence(text=_refusal_text(screen.refusal), procedural=True))
    body = state.answer or ComposedAnswer(sentences=(), citations=())
    sentences, citations = _renumber(body)
    all_sentences = [*lead, *sentences]
    text = (
        " ".join(s.text + "".join(f" [{n}]" for n in s.cites) for s in all_sentences)
        .replace(" [", "[")
        .replace("][", "] [")
    )
    text = text.replace("[", " [")
    final = body.model_copy(update={"sentences": tuple(all_sentences), "citations": tuple(citations)})
    exchange = Exchange(
        question=state.question,
        answer=text,
        intent=state.plan.intent if state.plan else None,
        target=state.plan.target if state.plan else None,
        mentioned=tuple(state.mentioned),
        lab_concept=_lab_concept(state),
        lab_back=_lab_back(state),
        lab_start=_lab_bound(state, "start"),
        lab_end=_lab_bound(state, "end"),
    )
    return {
        "answer": final,
        "final_text": text,
        "history": [*state.history, exchange][-20:],
        "transcript": [
            *state.transcript,
            TranscriptLine(speaker="patient", text=state.question),
            TranscriptLine(speaker="assistant", text=text),
        ],
        "steps": state.steps + 1,
    }
