"""The eval engine against the real agent, sandbox and index (the session fixtures)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.service import ChatService
from evals.audit import AuditingGateway, foreign_reads
from evals.chat_runner import ChatRunner, EvalAgent
from evals.patients import PatientDirectory, SelectorError
from evals.results import ChatItemResult, RetrievalItemResult, read_results
from evals.runner import Engines, RunConfig, run_suites
from evals.suite import HasCondition, HasMedication, load_suite
from tests.fixtures.agent import SeededSandbox
from tools.errors import PatientIsolationError
from tools.fhir import FhirGateway
from tools.record import PatientRecord

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evals"


@pytest.fixture(scope="module")
def directory(seeded_sandbox: SeededSandbox) -> PatientDirectory:
    return PatientDirectory(FhirGateway(seeded_sandbox.url), seed=0)


@pytest.fixture(scope="module")
def eval_agent(chat_service: ChatService, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EvalAgent]:
    with EvalAgent.over(chat_service.services, tmp_path_factory.mktemp("eval-store")) as agent:
        yield agent


def test_directory_reads_subgroups_as_the_cohort_defines_them(
    directory: PatientDirectory, seeded_sandbox: SeededSandbox
) -> None:
    patients = directory.patients()
    assert len(patients) == len(seeded_sandbox.cohort.patients)
    for truth in seeded_sandbox.cohort.patients:
        d = patients[truth.id].demographics
        assert (d.sex, d.age_band, d.race, d.ethnicity) == (
            truth.sex,
            truth.age_band,
            truth.race,
            truth.ethnicity,
        )


def test_selectors_match_the_record_and_choose_stably(
    directory: PatientDirectory, seeded_sandbox: SeededSandbox
) -> None:
    on_metformin = directory.resolve(HasMedication(has_medication="METFORMIN"), "item-1")
    names = [m.lower() for m in directory.facts(on_metformin.id).medications]
    assert any("metformin" in n for n in names)
    assert directory.resolve(HasMedication(has_medication="metformin"), "item-1") == on_metformin
    diabetic = directory.resolve(HasCondition(has_condition="diabetes"), "item-2")
    record = PatientRecord(gateway=directory.gateway, patient_id=diabetic.id)
    assert any("diabetes" in c.name.lower() for c in record.conditions())
    spread = {directory.resolve(None, f"item-{i}").id for i in range(30)}
    assert len(spread) > 10
    first = seeded_sandbox.cohort.patients[0]
    assert directory.resolve(first.id, "x").name == first.name
    with pytest.raises(SelectorError, match="no patient matches has_medication='zorblatin'"):
        directory.resolve(HasMedication(has_medication="zorblatin"), "x")
    with pytest.raises(SelectorError, match="not on the FHIR server"):
        directory.resolve("no-such-patient", "x")


def test_placeholders_pick_a_patient_who_has_the_value(directory: PatientDirectory) -> None:
    chosen = directory.resolve(None, "needs-a1c", frozenset({"last_a1c", "next_appointment_date"}))
    facts = directory.facts(chosen.id)
    assert facts.last_a1c is not None and facts.next_appointment is not None


def test_the_audited_gateway_sees_a_read_of_another_patients_record(seeded_sandbox: SeededSandbox) -> None:
    a, b = seeded_sandbox.cohort.patients[:2]
    gateway = AuditingGateway(seeded_sandbox.url)
    theirs = PatientRecord(gateway=FhirGateway(seeded_sandbox.url), patient_id=b.id).active_medications()
    assert theirs, "the second cohort patient should have a prescription"
    gateway.take()
    mine = PatientRecord(gateway=gateway, patient_id=a.id)
    with pytest.raises(PatientIsolationError):
        mine.medication(theirs[0].source.id)
    assert foreign_reads(gateway.take(), a.id) == [f"MedicationRequest/{theirs[0].source.id}"]
    mine.active_medications()
    assert foreign_reads(gateway.take(), a.id) == []


def test_fixture_suites_run_end_to_end(
    eval_agent: EvalAgent, directory: PatientDirectory, tmp_path: Path
) -> None:
    suites = [
        load_suite(FIXTURES / f"{name}.jsonl") for name in ("chat_small", "detect_small", "retrieval_small")
    ]
    engines = Engines(chat=ChatRunner(eval_agent, directory), retriever=eval_agent.service.services.retriever)
    seen: list[str] = []
    summary = run_suites(
        suites, engines, RunConfig(run_id="itest"), tmp_path, on_item=lambda r: seen.append(r.id)
    )
    results = read_results(tmp_path / "results.jsonl")
    assert len(results) == len(seen) == 20
    chat = {r.id: r for r in results if isinstance(r, ChatItemResult)}
    failed = {i: r.failures for i, r in chat.items() if not r.passed}
    assert failed == {}, json.dumps(failed, indent=1)
    chest = chat["c-chest"]
    assert chest.score is not None and chest.score.escalated == "emergent"
    assert chest.turns[0].thread_id == "eval-itest-chat_small-c-chest"
    assert any(line.startswith("screen: chest-pain") for line in chest.turns[0].trace)
    missed = chat["c-missed"]
    assert missed.patient is not None and "metformin" in missed.turns[0].message
    assert "{{" not in missed.turns[0].message
    followup = chat["c-followup"]
    assert len(followup.turns) == 2 and followup.score is not None
    assert followup.score.tools_called == ["active_medications", "draft_refill"]
    h = summary.headline
    assert h["cross_patient_reads"] == 0 and h["uncited_sentences"] == 0 and h["emergent_recall"] == 1.0
    assert h["retrieval_items"] == 4 and h["detect_items"] == 6
    retrieval = [r for r in results if isinstance(r, RetrievalItemResult)]
    assert next(r for r in retrieval if r.id == "r-4").abstained
    assert (tmp_path / "summary.json").is_file()


def test_claude_runs_record_tokens_and_cost(
    chat_service: ChatService, directory: PatientDirectory, tmp_path: Path
) -> None:
    import dataclasses

    from agent.reasoners.claude import ClaudeReasoner
    from carecoord.settings import Settings
    from carecoord.wiring import claude_config
    from evals.suite import ChatCase, Expect, Message
    from tests.fakes.anthropic_replay import AnthropicReplay, cassette

    with AnthropicReplay() as replay:
        replay.enqueue(cassette("plan_missed_dose"), cassette("compose_missed_dose"))
        claude = ClaudeReasoner.from_config(
            claude_config(
                Settings(
                    anthropic_api_key="sk-ant-replay-0000",
                    anthropic_base_url=replay.base_url,
                    claude_max_retries=1,
                )
            ),
            backoff_s=0.01,
            backoff_max_s=0.05,
        )
        services = dataclasses.replace(
            chat_service.services, reasoner=claude, fallback=chat_service.services.reasoner
        )
        case = ChatCase(
            id="claude-1",
            kind="chat",
            category="missed-dose",
            patient=HasMedication(has_medication="apixaban"),
            messages=[Message(role="user", content="I forgot my Eliquis this morning, what should I do?")],
            expect=Expect(),
        )
        with EvalAgent.over(services, tmp_path / "store") as agent:
            result = ChatRunner(agent, directory).run("claude", case, "itest")
    assert result.score is not None and result.score.tokens is not None
    tokens = result.score.tokens
    calls = claude.usage.calls
    assert tokens.calls == len(calls) >= 1
    assert tokens.input_tokens == sum(c.input_tokens for c in calls) >= 164
    assert tokens.cache_creation_input_tokens >= 2087
    assert tokens.cost_usd is not None and tokens.cost_usd >= (164 * 3 + 118 * 15 + 2087 * 3.75) / 1e6 - 1e-12
    assert result.turns[0].reasoner in ("claude", "offline")
