"""The escalation table of policy.yaml drives `escalate`: kinds, levels, SLAs and notices come from the YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent.models import Evidence, ScreenResult
from agent.responses import responses
from agent.safety.escalation import SITUATIONS, decide
from agent.safety.policy import POLICY_PATH, Policy
from agent.state import TurnState
from tools.drafts import Draft


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load()


def _edited(tmp_path: Path, edit: dict[str, object]) -> Policy:
    """The shipped policy with top-level sections replaced, written and loaded as a clinical lead would."""
    data = yaml.safe_load(POLICY_PATH.read_text(encoding="utf-8"))
    data.update(edit)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return Policy.load(path)


def _refill() -> Evidence:
    draft = Draft(
        kind="refill",
        patient_reference="Patient/p1",
        resource={},
        identifier_value="x",
        summary="Refill metformin",
    )
    return Evidence(drafts=(draft,))


def test_every_rule_names_a_known_situation_and_notice(policy: Policy) -> None:
    said = responses().model_dump()
    assert [r.when for r in policy.escalation.rules]
    for rule in policy.escalation.rules:
        assert rule.when in SITUATIONS
        assert rule.notice is None or rule.notice in said


def test_emergency_is_emergent_with_the_policy_sla(policy: Policy) -> None:
    need = decide(TurnState(screen=ScreenResult(red_flag="chest-pain", level="emergent")), policy)
    assert need is not None
    assert (need.kind, need.level, need.sla_minutes) == ("emergency", "emergent", 15)
    assert need.notice == responses().emergency_sent


def test_protocol_files_at_the_screens_level(policy: Policy) -> None:
    screen = ScreenResult(urgent_flag="low-blood-sugar", level="urgent", protocol="hypoglycemia")
    need = decide(TurnState(screen=screen), policy)
    assert need is not None
    assert (need.kind, need.level, need.sla_minutes) == ("clinical_question", "urgent", 240)
    assert "hypoglycemia" in need.summary


def test_refusals_other_than_dose_change_file_nothing(policy: Policy) -> None:
    assert decide(TurnState(screen=ScreenResult(refusal="other_patient")), policy) is None
    need = decide(TurnState(screen=ScreenResult(refusal="dose_change")), policy)
    assert need is not None and need.level == "urgent"


def test_drafted_action_level_comes_from_the_actions_table(policy: Policy, tmp_path: Path) -> None:
    state = TurnState(screen=ScreenResult(), evidence=_refill())
    need = decide(state, policy)
    assert need is not None and (need.kind, need.level) == ("action_approval", "routine")
    actions = {name: rule.model_dump() for name, rule in policy.actions.items()}
    actions["refill"]["level"] = "urgent"
    edited = decide(state, _edited(tmp_path, {"actions": actions}))
    assert edited is not None and (edited.level, edited.sla_minutes) == ("urgent", 240)


def test_editing_the_yaml_changes_level_sla_and_order(policy: Policy, tmp_path: Path) -> None:
    escalation = policy.escalation.model_dump()
    state = TurnState(screen=ScreenResult(urgent_flag="very-high-blood-sugar", level="urgent"))
    before = decide(state, policy)
    assert before is not None and (before.level, before.sla_minutes) == ("urgent", 240)

    escalation["sla_minutes"]["urgent"] = 60
    for rule in escalation["rules"]:
        if rule["when"] == "urgent_screen":
            rule["level"] = "emergent"
    after = decide(state, _edited(tmp_path, {"escalation": escalation}))
    assert after is not None and (after.level, after.sla_minutes) == ("emergent", 15)

    escalation["rules"] = [r for r in escalation["rules"] if r["when"] != "urgent_screen"]
    assert decide(state, _edited(tmp_path, {"escalation": escalation})) is None


def test_a_rule_naming_an_unknown_protocol_fails_at_load(policy: Policy, tmp_path: Path) -> None:
    readings = [r.model_dump() for r in policy.readings]
    readings[0]["protocol"] = "no-such-protocol"
    with pytest.raises(ValueError, match="no-such-protocol"):
        _edited(tmp_path, {"readings": readings})


def test_a_turn_with_nothing_to_say_reaches_a_clinician_instead_of_silence(policy: Policy) -> None:
    from agent.models import ComposedAnswer, Plan

    plan = Plan(intent="medication_question", confidence=0.9, reasoner="offline")
    silent = TurnState(plan=plan, answer=ComposedAnswer(sentences=(), citations=()))
    need = decide(silent, policy)
    assert need is not None
    assert (need.kind, need.level) == ("clinical_question", "routine")
    assert need.notice == responses().nothing_found_escalated
    assert decide(TurnState(screen=ScreenResult(refusal="other_patient"), plan=plan), policy) is None
