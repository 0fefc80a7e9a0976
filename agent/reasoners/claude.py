"""The Claude reasoner: plans with tool use, composes with native citations.

Same contract as the offline reasoner: `plan` returns a Plan whose tools the toolbox runs; `compose`
returns sentences whose cites are numbered through `CitationBook`, with the tools' procedural notes
as fixed sentences. Claude only ever words what the sources say (an uncited sentence is left as a
claim for the verifier to remove); any failure after retries raises `ReasonerError` and the graph
falls back to the offline reasoner.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from anthropic.types import TextBlockParam

from agent.citations import CitationBook
from agent.condition_topics import condition_table
from agent.models import AnswerSentence, ComposedAnswer, Plan
from agent.reasoners.base import ComposeRequest, PlanRequest
from agent.reasoners.claude_cite import Cited, Sources, cited_sentences
from agent.reasoners.claude_client import MessagesClient
from agent.reasoners.claude_config import ClaudeConfig
from agent.reasoners.claude_tools import plan_from_message, tool_params
from agent.reasoners.claude_usage import Usage
from agent.responses import responses

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
PLAN_MAX_TOKENS = 1024
COMPOSE_MAX_TOKENS = 1500
HISTORY_ANSWER_CHARS = 400


@lru_cache(maxsize=4)
def system_prompt(name: str) -> tuple[TextBlockParam, ...]:
    """A prompt file as the system block, marked as a prompt-cache breakpoint."""
    text = (PROMPTS / f"{name}.md").read_text(encoding="utf-8").strip()
    return ({"type": "text", "text": text, "cache_control": {"type": "ephemeral"}},)


class ClaudeReasoner:
    """Plans and composes through the Anthropic Messages API."""

    name = "claude"

    def __init__(self, client: MessagesClient) -> None:
        self.client = client

    @classmethod
    def from_config(
        cls, config: ClaudeConfig, backoff_s: float = 0.5, backoff_max_s: float = 8.0
    ) -> ClaudeReasoner:
        """A reasoner for the configured model; without an API key every call fails into the fallback."""
        return cls(MessagesClient.from_config(config, Usage(), backoff_s, backoff_max_s))

    @property
    def usage(self) -> Usage:
        """Tokens and attempts of every call so far."""
        return self.client.usage

    # -- plan ----------------------------------------------------------------------------------
    def plan(self, request: PlanRequest) -> Plan:
        """One tool-use call: `set_intent` plus the record tools the turn needs."""
        message = self.client.create(
            "plan",
            system=system_prompt("claude_plan"),
            messages=[{"role": "user", "content": plan_message(request)}],
            max_tokens=PLAN_MAX_TOKENS,
            tools=tool_params(),
            tool_choice={"type": "any"},
        )
        return plan_from_message(message, request.question)

    # -- compose -------------------------------------------------------------------------------
    def compose(self, request: ComposeRequest) -> ComposedAnswer:
        """Fixed sentences for the notes, then Claude's cited sentences (no call when nothing is citable)."""
        said = responses()
        book = CitationBook()
        sentences: list[AnswerSentence] = []
        intent = request.plan.intent
        if intent == "greeting":
            sentences.append(AnswerSentence(text=said.greeting, procedural=True))
        elif intent == "out_of_scope":
            sentences.append(AnswerSentence(text=said.out_of_scope, procedural=True))
        for note in request.notes:
            sentences.append(AnswerSentence(text=getattr(said, note), procedural=True))
        sources = Sources.usable(request.evidence, request.plan.needs_guidance)
        if sources:
            message = self.client.create(
                "compose",
                system=system_prompt("claude_compose"),
                messages=[{"role": "user", "content": [*sources.blocks(), compose_text(request, sentences)]}],
                max_tokens=COMPOSE_MAX_TOKENS,
            )
            for text, cited in cited_sentences(message, sources):
                cites = tuple(dict.fromkeys(_number(book, c) for c in cited))
                sentences.append(AnswerSentence(text=text, cites=cites))
        substantive = any(not s.procedural for s in sentences) or intent in ("greeting", "out_of_scope")
        if request.plan.needs_guidance and request.evidence.abstain and not request.evidence.facts:
            sentences.append(AnswerSentence(text=said.abstain, procedural=True))
            substantive = False
        return ComposedAnswer(sentences=tuple(sentences), citations=book.all(), substantive=substantive)


def _number(book: CitationBook, cited: Cited) -> int:
    if isinstance(cited, tuple):
        passage, quote = cited
        return book.passage(passage, quote)
    return book.fact(cited)


def plan_message(request: PlanRequest) -> str:
    """The planning turn as text: earlier exchanges, the screen's flag, then the new message."""
    parts: list[str] = []
    if request.history:
        lines = ["Earlier in this conversation (oldest first):"]
        for turn in request.history:
            about = f"; talked about: {', '.join(turn.mentioned)}" if turn.mentioned else ""
            lines.append(f"Patient: {turn.question}")
            lines.append(f"Assistant: {turn.answer[:HISTORY_ANSWER_CHARS]} (intent: {turn.intent}{about})")
        parts.append("\n".join(lines))
    if request.screen.urgent_flag:
        parts.append(
            f"The safety screen marked this message as possibly urgent ({request.screen.urgent_flag})."
        )
    parts.append(f"The patient's new message:\n<message>\n{request.question}\n</message>")
    return "\n\n".join(parts)


def compose_text(request: ComposeRequest, already: list[AnswerSentence]) -> TextBlockParam:
    """The question after the sources, with what the patient is told anyway and what awaits review."""
    parts = [f"The patient's message:\n<message>\n{request.question}\n</message>"]
    if request.evidence.conditions:
        table = condition_table()
        named = ", ".join(table.conditions[key].phrases[0] for key in request.evidence.conditions)
        parts.append(
            f"The patient's problem list includes: {named}. Where the library passages say something for "
            "people with these conditions, prefer it (do not state the condition unless a record entry above "
            "shows it)."
        )
    if request.evidence.drafts:
        drafted = "\n".join(f"- {d.summary}" for d in request.evidence.drafts)
        parts.append(f"Requests drafted for clinician review (NOT done yet):\n{drafted}")
    if already:
        told = "\n".join(f"- {s.text}" for s in already)
        parts.append(f"The patient will also see these fixed sentences; do not repeat them:\n{told}")
    parts.append("Write the reply from the documents and search results above, citing them.")
    return {"type": "text", "text": "\n\n".join(parts)}
