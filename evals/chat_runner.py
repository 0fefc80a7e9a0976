"""Running chat items through the real agent, with the evaluator's own stores and an audited gateway.

`EvalAgent` is the agent as `carecoord chat` builds it, with three differences that keep evals honest
and harmless: every FHIR resource returned to the agent is recorded (`AuditingGateway`), escalations
go to a review queue inside the run folder (never the clinic's queue), and thread checkpoints live
there too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from agent.reasoners.claude_usage import CallUsage, Usage
from agent.service import AgentServices, ChatService
from evals.audit import AuditingGateway, foreign_reads
from evals.fixed_texts import FixedTexts
from evals.patients import PatientDirectory, SelectorError
from evals.placeholders import PatientFacts, PlaceholderUnavailable, fill_regex, fill_text
from evals.pricing import PriceTable, price_table, tokens_of
from evals.results import ChatItemResult, CitedSource, PatientInfo, SentenceRecord, TurnRecord
from evals.scoring import FilledPattern, score_chat
from evals.suite import ChatCase
from tools.errors import PatientIsolationError

if TYPE_CHECKING:
    from carecoord.wiring import Services

CHUNK_SUFFIX = re.compile(r"-[0-9a-f]{16}$")


def article_of(chunk_id: str) -> str:
    """The article a chunk id belongs to (`missed-dose-metformin-7b9350bbf1b8ec82` -> `missed-dose-metformin`)."""
    return CHUNK_SUFFIX.sub("", chunk_id)


class EvalAgent:
    """A `ChatService` over an auditing gateway, plus the Claude usage ledger when Claude reasons."""

    def __init__(self, service: ChatService, audit: AuditingGateway) -> None:
        self.service = service
        self.audit = audit

    @property
    def usage(self) -> Usage | None:
        """Claude's token ledger (None for the offline reasoner)."""
        usage = getattr(self.service.services.reasoner, "usage", None)
        return usage if isinstance(usage, Usage) else None

    @property
    def reasoner(self) -> str:
        """The configured primary reasoner's name."""
        return self.service.services.reasoner.name

    @classmethod
    @contextmanager
    def over(cls, services: AgentServices, store: Path) -> Iterator[EvalAgent]:
        """Reuse loaded services (embedder, index, screen) with eval-only gateway, queue and checkpoints."""
        from agent.checkpoints import open_checkpointer
        from carecoord.db import make_engine
        from carecoord.keyring import ephemeral_keyring
        from carecoord.review.queue import ReviewQueue

        store.mkdir(parents=True, exist_ok=True)
        real = services.gateway
        audit = AuditingGateway(real.base_url, real.timeout_s, real.attempts)
        keyring = ephemeral_keyring()
        queue = ReviewQueue(make_engine(f"sqlite:///{store / 'review.sqlite3'}", keyring))
        isolated = dataclasses.replace(services, gateway=audit, escalations=queue)
        with open_checkpointer(None, store, keyring) as checkpointer:
            yield cls(ChatService(isolated, checkpointer), audit)


@contextmanager
def open_eval_agent(services: Services, reasoner: str, store: Path) -> Iterator[EvalAgent]:
    """Build the agent from the process's services (the CLI's way in) and wrap it for evaluation."""
    from carecoord.db import make_engine
    from carecoord.keyring import ephemeral_keyring
    from carecoord.review.queue import ReviewQueue
    from carecoord.wiring import build_agent_services

    store.mkdir(parents=True, exist_ok=True)
    queue = ReviewQueue(make_engine(f"sqlite:///{store / 'review.sqlite3'}", ephemeral_keyring()))
    built = build_agent_services(services.settings, queue, services.gateway, services.embedder, reasoner)
    with EvalAgent.over(built, store) as agent:
        yield agent


class ChatRunner:
    """Runs chat items: resolve the patient, fill placeholders, run the turns, score the last one."""

    def __init__(
        self,
        agent: EvalAgent,
        directory: PatientDirectory,
        fixed: FixedTexts | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        self.agent = agent
        self.directory = directory
        self.fixed = fixed or FixedTexts.load()
        self.prices = prices or price_table()

    def run(self, suite: str, case: ChatCase, run_id: str) -> ChatItemResult:
        """One item, start to finish; a failure of the agent is recorded on the item, never raised."""
        try:
            patient = self.directory.resolve(case.patient, case.id, case.placeholders)
            facts = self.directory.facts(patient.id) if case.placeholders else None
            messages = [fill_text(m.content, facts) if facts else m.content for m in case.messages]
            fact_patterns = [self._fill(p, facts) for p in case.expect.facts]
            not_patterns = [self._fill(p, facts) for p in case.expect.not_facts]
        except (SelectorError, PlaceholderUnavailable) as exc:
            return ChatItemResult(
                suite=suite,
                id=case.id,
                category=case.category,
                passed=False,
                failures=[f"could not run: {exc}"],
                patient=None,
                turns=[],
                score=None,
                error=str(exc),
            )
        usage = self.agent.usage
        calls_before = len(usage.calls) if usage else 0
        thread = f"eval-{run_id}-{suite}-{case.id}"
        turns = [self._turn(patient.id, message, thread) for message in messages]
        tokens = None
        if usage is not None:
            new_calls: list[CallUsage] = usage.calls[calls_before:]
            tokens = tokens_of(new_calls, self.prices)
        score, failures = score_chat(case.expect, turns, fact_patterns, not_patterns, self.fixed, tokens)
        return ChatItemResult(
            suite=suite,
            id=case.id,
            category=case.category,
            passed=not failures,
            failures=failures,
            patient=PatientInfo(id=patient.id, demographics=patient.demographics),
            turns=turns,
            score=score,
        )

    @staticmethod
    def _fill(pattern: str, facts: PatientFacts | None) -> FilledPattern:
        return FilledPattern(written=pattern, regex=fill_regex(pattern, facts) if facts else pattern)

    def _turn(self, patient_id: str, message: str, thread: str) -> TurnRecord:
        service = self.agent.service
        self.agent.audit.take()
        try:
            outcome = service.run_turn(patient_id, message, thread)
        except PatientIsolationError as exc:
            foreign = foreign_reads(self.agent.audit.take(), patient_id) or [f"refused: {exc}"]
            return TurnRecord(
                message=message, thread_id=thread, foreign_reads=foreign, error=f"isolation: {exc}"
            )
        except Exception as exc:  # noqa: BLE001 - one broken turn is that item's failure, not the run's end
            foreign = foreign_reads(self.agent.audit.take(), patient_id)
            return TurnRecord(
                message=message, thread_id=thread, foreign_reads=foreign, error=f"{type(exc).__name__}: {exc}"
            )
        result, state = outcome.result, outcome.state
        articles = {p.id: p.article_id for p in (state.evidence.passages if state.evidence else ())}
        sentences = [
            SentenceRecord(text=s.text, cites=list(s.cites))
            for s in (state.answer.sentences if state.answer else ())
        ]
        return TurnRecord(
            message=message,
            thread_id=thread,
            answer=result.answer,
            sentences=sentences,
            citations=[
                CitedSource(
                    n=c.n,
                    kind=c.kind,
                    id=c.id,
                    article_id=articles.get(c.id) or (article_of(c.id) if c.kind == "knowledge" else None),
                    title=c.title,
                )
                for c in result.citations
            ],
            escalation=result.escalation,
            grounding=result.grounding,
            tools=result.tools,
            retrieval_abstained=state.retrieval is not None and state.retrieval.abstained,
            trace=list(state.trace),
            reasoner=result.reasoner,
            ms=result.ms,
            foreign_reads=foreign_reads(self.agent.audit.take(), patient_id),
        )
