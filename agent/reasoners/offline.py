"""The offline reasoner: deterministic, no network, and it never writes a medical sentence of its own.

Planning is nearest-neighbour intent classification plus rules per intent. Composition is templates
for record facts (each citing the resource read) and sentences extracted verbatim from the top
guidance passages (each citing its passage).
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray

from agent.citations import CitationBook
from agent.condition_topics import condition_table
from agent.intents import IntentClassifier
from agent.matching import match_lab, match_specialty, narrows_medications, with_generics
from agent.models import AnswerSentence, ComposedAnswer, Intent, Plan, ToolRequest
from agent.reasoners.base import ComposeRequest, PlanRequest
from agent.responses import responses
from agent.text import normalise
from knowledge.passage import Passage
from knowledge.sentences import prose_sentences, stored_sentences
from knowledge.vector_cache import TextEmbedder

RECORD_KEYWORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\ballerg"), "allergies"),
    (re.compile(r"\b(conditions?|diagnos\w*|problem list|health problems)\b"), "conditions"),
    (
        re.compile(
            r"\b(last|previous|past|most recent) (visit|appointment|checkup)|when did i (last )?see\b"
        ),
        "past_appointments",
    ),
    (re.compile(r"\b(name (on file|in my record)|what name)\b"), "patient_summary"),
)
"""Record questions the intent exemplars do not cover, recognised by their key words."""
ACTION_WORDS = re.compile(
    r"\b(refill|renew|more of|run(ning)? out|ran out|out of|new prescription|resupply|send (it|a script)|"
    r"book|schedule|make an appointment|set up|sign me up|get me in|see (a|the|my|an)|appointment with|"
    r"refer|referral|cancel|reschedule|move my|change my appointment|can'?t make it|message|tell my doctor)\b"
)
"""Words that make a message a request for an action rather than a question about one."""
ACTION_INTENTS: frozenset[Intent] = frozenset({"refill", "book", "cancel_reschedule", "referral"})
QUESTION = re.compile(r"^(what|whats|which|who|why|how|hows|can|could|does|do|is|are|should|when|where)\b")
FOLLOW_UP = re.compile(r"^(and|what about|how about|also)\b|\bthe other (one|med|medication|pill)\b")
GUIDANCE_INTENTS: frozenset[Intent] = frozenset(
    {"medication_question", "missed_dose", "condition_self_care", "symptom_report", "general_question"}
)
MAX_GUIDANCE_SENTENCES = 3
MIN_SENTENCE_SIMILARITY = 0.30
CONDITION_BONUS = 0.15
"""Added to a guidance sentence's score when it speaks to one of the patient's own conditions."""


class OfflineReasoner:
    """Plans with the intent classifier, composes from templates and extracted sentences."""

    name = "offline"

    def __init__(self, classifier: IntentClassifier, embedder: TextEmbedder) -> None:
        self.classifier = classifier
        self.embedder = embedder

    # -- plan ----------------------------------------------------------------------------------
    def plan(self, request: PlanRequest) -> Plan:
        """Intent by nearest neighbours; a short follow-up inherits the previous turn's intent."""
        guess = self.classifier.classify(request.question)
        intent, confidence = guess.intent, guess.confidence
        other_than: tuple[str, ...] | None = None
        previous = request.history[-1] if request.history else None
        if previous and previous.intent and FOLLOW_UP.search(normalise(request.question)):
            intent, confidence = previous.intent, max(confidence, 0.8)  # type: ignore[assignment]
            if "other" in request.question.lower():
                other_than = tuple(previous.mentioned)
        text = normalise(request.question)
        for pattern, tool in RECORD_KEYWORDS:
            if pattern.search(text) and intent not in ACTION_INTENTS:
                record_tool = ToolRequest.model_validate({"tool": tool})
                return Plan(
                    intent=intent, confidence=max(confidence, 0.7), tools=(record_tool,), reasoner=self.name
                )
        if intent in ACTION_INTENTS and not ACTION_WORDS.search(text) and other_than is None:
            intent = "general_question" if intent != "refill" else "medication_question"
        if "how many refills" in text or "refills left" in text or "refills do i have" in text:
            return Plan(
                intent="medication_list",
                confidence=max(confidence, 0.7),
                reasoner=self.name,
                tools=(ToolRequest(tool="active_medications", args={"medication": request.question}),),
            )
        plan = self._plan_for(intent, confidence, request.question, other_than)
        if (
            QUESTION.search(text)
            and not plan.needs_guidance
            and intent in ("lab_result", "care_plan", "condition_self_care")
        ):
            plan = plan.model_copy(update={"needs_guidance": True, "guidance_query": request.question})
        return plan

    def _plan_for(
        self,
        intent: Intent,
        confidence: float,
        question: str,
        other_than: tuple[str, ...] | None,
    ) -> Plan:
        mention = question
        tools: list[ToolRequest] = []
        guidance_query: str | None = None
        match intent:
            case "medication_list":
                narrowed = {"medication": question} if narrows_medications(question) else {}
                tools = [ToolRequest(tool="active_medications", args=narrowed)]
            case "refill":
                tools = [
                    ToolRequest(tool="draft_refill", args={"medication": mention}, other_than=other_than)
                ]
                guidance_query = "how prescription refill requests work and how long a refill takes"
            case "medication_question" | "missed_dose":
                tools = [
                    ToolRequest(
                        tool="active_medications", args={"medication": mention}, other_than=other_than
                    )
                ]
                guidance_query = with_generics(question)
            case "lab_result":
                code = match_lab(question)
                tools = [ToolRequest(tool="observations", args={"code": code} if code else {})]
            case "next_appointment":
                tools = [ToolRequest(tool="upcoming_appointments")]
            case "book":
                specialty = match_specialty(question)
                tools = [
                    ToolRequest(tool="draft_booking", args={"specialty": specialty} if specialty else {})
                ]
            case "cancel_reschedule":
                tools = [
                    ToolRequest(tool="upcoming_appointments"),
                    ToolRequest(
                        tool="draft_message", args={"text": f"Appointment change requested: {question}"}
                    ),
                ]
                guidance_query = "cancelling or rescheduling an appointment notice"
            case "referral":
                specialty = match_specialty(question) or "primary care"
                tools = [
                    ToolRequest(
                        tool="draft_referral", args={"specialty": specialty, "reason": question[:200]}
                    )
                ]
                guidance_query = "how referrals to specialists work"
            case "care_plan":
                tools = [ToolRequest(tool="care_plans")]
            case _ if intent in GUIDANCE_INTENTS:
                guidance_query = question
        return Plan(
            intent=intent,
            confidence=confidence,
            tools=tuple(tools),
            needs_guidance=guidance_query is not None,
            guidance_query=guidance_query,
            reasoner=self.name,
        )

    # -- compose -------------------------------------------------------------------------------
    def compose(self, request: ComposeRequest) -> ComposedAnswer:
        """Facts through templates, guidance as extracted sentences; all cited."""
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
        for fact in request.evidence.facts:
            sentences.append(AnswerSentence(text=fact.text, cites=(book.fact(fact),)))
        if request.plan.needs_guidance and not request.evidence.abstain:
            for passage, sentence in self._extract(
                _quoting_query(request), request.evidence.passages, request.evidence.conditions
            ):
                sentences.append(AnswerSentence(text=sentence, cites=(book.passage(passage, sentence),)))
        substantive = any(not s.procedural for s in sentences) or intent in ("greeting", "out_of_scope")
        if request.plan.needs_guidance and request.evidence.abstain and not request.evidence.facts:
            sentences.append(AnswerSentence(text=said.abstain, procedural=True))
            substantive = False
        return ComposedAnswer(sentences=tuple(sentences), citations=book.all(), substantive=substantive)

    def _extract(
        self, question: str, passages: tuple[Passage, ...], conditions: tuple[str, ...] = ()
    ) -> list[tuple[Passage, str]]:
        """The sentences of the top passages that best answer the question, in reading order.

        Each sentence is scored by meaning (embedding similarity, used here only to *select* what to
        quote, never as evidence of support), by the question's content words it contains, by its
        passage's retrieval rank, so quotes come from the best article first, and by whether it speaks
        to one of the patient's own `conditions` (the kidney rule for ibuprofen, for a kidney patient).
        """
        candidates: list[tuple[int, int, Passage, str]] = []
        stored: list[NDArray[np.float32]] = []
        for p_index, passage in enumerate(passages[:3]):
            known = stored_sentences(passage.id)  # embedded at ingest; None for a passage it never saw
            texts = known.texts if known is not None else tuple(prose_sentences(passage.text))
            for s_index, sentence in enumerate(texts):
                candidates.append((p_index, s_index, passage, sentence))
            stored.append(known.vectors if known is not None else self.embedder.embed(texts))
        if not candidates:
            return []
        vectors = np.vstack(stored)
        query = self.embedder.embed_one(question)
        query_words = _content_words(question)
        table = condition_table()
        scores = []
        for index, (p_index, _, _, sentence) in enumerate(candidates):
            overlap = len(query_words & _content_words(sentence)) / max(len(query_words), 1)
            bonus = CONDITION_BONUS if conditions and table.speaks_to(sentence, conditions) else 0.0
            scores.append(float(vectors[index] @ query) + 0.3 * overlap - 0.08 * p_index + bonus)
        order = sorted(range(len(candidates)), key=lambda i: -scores[i])
        ranked = [i for i in order if scores[i] >= MIN_SENTENCE_SIMILARITY]
        picked = ranked[:MAX_GUIDANCE_SENTENCES]
        theirs = [i for i in ranked if conditions and table.speaks_to(candidates[i][3], conditions)]
        if theirs and theirs[0] not in picked:  # one quote always speaks to the patient's own condition
            picked = [*picked[: MAX_GUIDANCE_SENTENCES - 1], theirs[0]]
        chosen = sorted(picked, key=lambda i: (candidates[i][0], candidates[i][1]))
        return [(candidates[i][2], candidates[i][3]) for i in chosen]


TOPICLESS_WORDS = 3
"""A message with fewer content words than this ("is that good or bad?") names no topic of its own."""


def _quoting_query(request: ComposeRequest) -> str:
    """What quotes are chosen against: the message, plus the plan's query when the message names no topic.

    "Is that good or bad?" after an A1c answer has no words to match a sentence on; the plan's query
    ("what does my A1c result mean, what is a normal or goal A1c") has them.
    """
    query = request.plan.guidance_query
    if query and len(_content_words(request.question)) < TOPICLESS_WORDS:
        return f"{request.question} {query}"
    return request.question


_STOP = frozenset(
    "a an the i my me we you your is are was were be to of in on at for and or but with what how do does can "
    "should if it this that my am have has had when will would could about".split()
)


def _content_words(text: str) -> set[str]:
    return {w.rstrip("s") for w in normalise(text).split() if w not in _STOP and len(w) > 2}
