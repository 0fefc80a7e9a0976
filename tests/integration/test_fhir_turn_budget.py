"""Issue 15: a frozen EHR costs a turn its FHIR time budget, not attempts × timeout × tool calls.

The turn runs the real agent against a listener that never answers (`tests.fixtures.frozen`), with the
production per-request timeout and retries; the review queue's Task mirror writes to the same frozen
server. Before the budget, this held a patient 61 s before "I can't reach your records".
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from agent.service import ChatService
from carecoord.audit import AuditLog
from carecoord.db import make_engine
from carecoord.review.queue import ReviewQueue
from carecoord.review.tasks import TaskMirror
from tests.fixtures.agent import SeededSandbox, session_keyring
from tests.fixtures.frozen import frozen_server
from tools.fhir import FhirGateway

pytestmark = pytest.mark.integration

BUDGET_S = 2.0
MARGIN_S = 3.0
"""The offline agent's own work on the 2-core test machine (screen, plan, compose) on top of the budget."""


def test_a_frozen_fhir_server_ends_the_turn_within_its_budget_and_escalates(
    chat_service: ChatService, seeded_sandbox: SeededSandbox, tmp_path: Path
) -> None:
    patient = seeded_sandbox.cohort.patients[2].id
    engine = make_engine(f"sqlite:///{tmp_path / 'review.sqlite3'}", session_keyring())
    try:
        with frozen_server() as url:
            frozen = FhirGateway(url, timeout_s=10.0, attempts=3)  # the production defaults
            audit = AuditLog(engine)
            queue = ReviewQueue(engine, tasks=TaskMirror(frozen), audit=audit)
            services = replace(
                chat_service.services, gateway=frozen, escalations=queue, fhir_budget_s=BUDGET_S
            )
            service = ChatService(services, chat_service.graph.checkpointer, audit=audit)  # type: ignore[arg-type]
            started = time.monotonic()
            result = service.turn(patient, "What medications am I taking?")
            took = time.monotonic() - started
        print(f"turn against a frozen FHIR server: {took:.2f} s (budget {BUDGET_S} s)")
        assert took <= BUDGET_S + MARGIN_S, took
        assert "can't reach your records" in result.answer
        assert result.escalation is not None
        filed = queue.list(patient_id=patient)
        assert [(i.id, i.kind, i.level) for i in filed] == [
            (result.escalation.id, "clinical_question", "routine")
        ]
        stored = queue.get(filed[0].id)
        assert stored is not None and stored.task_id is None  # the Task is mirrored when it is decided
        assert [t.ok for t in result.tools] == [False]
    finally:
        engine.dispose()
