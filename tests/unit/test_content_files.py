"""Structure checks for the hand-written content files a clinical lead edits.

The retrieval eval suite, the intent exemplars and the safety policy are data, not code, so a typo
there fails silently at run time (a gold id that names no article, a red flag that points at a
missing instruction). These tests catch that when the file is saved.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "knowledge" / "corpus"
RETRIEVAL = ROOT / "evals" / "suites" / "retrieval.jsonl"
INTENTS = ROOT / "agent" / "intents.yaml"
POLICY = ROOT / "agent" / "policy.yaml"

EXPECTED_INTENTS = {
    "medication_list",
    "refill",
    "medication_question",
    "missed_dose",
    "lab_result",
    "next_appointment",
    "book",
    "cancel_reschedule",
    "referral",
    "care_plan",
    "condition_self_care",
    "symptom_report",
    "general_question",
    "greeting",
    "out_of_scope",
}
REQUIRED_RED_FLAGS = {
    "chest-pain",
    "stroke-signs",
    "trouble-breathing",
    "anaphylaxis",
    "severe-bleeding",
    "bleeding-on-blood-thinner",
    "fainting",
    "severe-hypoglycemia",
    "suicidal-thoughts",
    "heart-failure-decompensation",
    "overdose-poisoning",
    "sepsis-signs",
}
REQUIRED_REFUSALS = {"other_patient", "prompt_injection", "dose_change"}
LEVELS = {"emergent", "urgent", "routine"}


def _front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path} has no front matter"
    block = text.split("---\n", 2)[1]
    data = yaml.safe_load(block)
    assert isinstance(data, dict), f"{path} front matter is not a mapping"
    return data


@pytest.fixture(scope="module")
def article_groups() -> dict[str, str]:
    """Map every article id to its group folder (the retrieval category)."""
    groups: dict[str, str] = {}
    for path in sorted(CORPUS.rglob("*.md")):
        article_id = str(_front_matter(path)["id"])
        assert article_id not in groups, f"duplicate article id {article_id}"
        groups[article_id] = path.parent.name
    assert groups, "knowledge corpus is empty"
    return groups


@pytest.fixture(scope="module")
def retrieval_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for number, line in enumerate(RETRIEVAL.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"blank line {number} in {RETRIEVAL.name}"
        item = json.loads(line)
        assert isinstance(item, dict), f"line {number} is not an object"
        items.append(item)
    return items


@pytest.fixture(scope="module")
def intents() -> dict[str, Any]:
    data = yaml.safe_load(INTENTS.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    section = data["intents"]
    assert isinstance(section, dict)
    return section


@pytest.fixture(scope="module")
def policy() -> dict[str, Any]:
    data = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# ---------------------------------------------------------------- retrieval suite


def test_retrieval_items_have_the_expected_fields(
    retrieval_items: list[dict[str, Any]], article_groups: dict[str, str]
) -> None:
    categories = set(article_groups.values()) | {"unanswerable"}
    for item in retrieval_items:
        assert set(item) == {"id", "kind", "category", "query", "gold"}, item
        assert item["kind"] == "retrieval"
        assert item["category"] in categories, item
        assert isinstance(item["query"], str) and item["query"].strip(), item
        assert isinstance(item["gold"], list), item


def test_retrieval_ids_and_queries_are_unique(retrieval_items: list[dict[str, Any]]) -> None:
    ids = Counter(item["id"] for item in retrieval_items)
    assert [i for i, n in ids.items() if n > 1] == []
    queries = Counter(item["query"].strip().lower() for item in retrieval_items)
    assert [q for q, n in queries.items() if n > 1] == []


def test_retrieval_suite_is_large_enough(retrieval_items: list[dict[str, Any]]) -> None:
    assert len(retrieval_items) >= 170
    unanswerable = [item for item in retrieval_items if item["category"] == "unanswerable"]
    assert len(unanswerable) >= 25


def test_gold_ids_name_real_articles_and_match_the_category(
    retrieval_items: list[dict[str, Any]], article_groups: dict[str, str]
) -> None:
    for item in retrieval_items:
        gold = item["gold"]
        if item["category"] == "unanswerable":
            assert gold == [], item
            continue
        assert gold, f"{item['id']} is answerable but has no gold article"
        assert len(set(gold)) == len(gold), item
        unknown = [g for g in gold if g not in article_groups]
        assert unknown == [], f"{item['id']} names unknown articles {unknown}"
        assert article_groups[gold[0]] == item["category"], item


def test_every_article_has_at_least_two_questions(
    retrieval_items: list[dict[str, Any]], article_groups: dict[str, str]
) -> None:
    counts = Counter(g for item in retrieval_items for g in item["gold"])
    thin = sorted(a for a in article_groups if counts[a] < 2)
    assert thin == [], f"articles with fewer than 2 questions: {thin}"


# ---------------------------------------------------------------- intents


def test_intents_are_exactly_the_fifteen_expected(intents: dict[str, Any]) -> None:
    assert set(intents) == EXPECTED_INTENTS


@pytest.mark.parametrize("name", sorted(EXPECTED_INTENTS))
def test_each_intent_has_a_description_and_25_unique_exemplars(intents: dict[str, Any], name: str) -> None:
    entry = intents[name]
    assert isinstance(entry["description"], str) and entry["description"].strip()
    exemplars = entry["exemplars"]
    assert all(isinstance(e, str) and e.strip() for e in exemplars)
    unique = {e.strip().lower() for e in exemplars}
    assert len(unique) == len(exemplars), f"{name} repeats an exemplar"
    assert len(unique) >= 25


def test_no_exemplar_is_shared_between_intents(intents: dict[str, Any]) -> None:
    owner: dict[str, str] = {}
    clashes: list[str] = []
    for name, entry in intents.items():
        for exemplar in entry["exemplars"]:
            key = exemplar.strip().lower()
            if key in owner and owner[key] != name:
                clashes.append(f"{exemplar!r}: {owner[key]} and {name}")
            owner[key] = name
    assert clashes == []


# ---------------------------------------------------------------- policy


def test_policy_has_version_and_instructions(policy: dict[str, Any]) -> None:
    assert policy["version"] == 1
    instructions = policy["emergency_instructions"]
    assert {"call_911", "call_988"} <= set(instructions)
    assert all(isinstance(text, str) and text.strip() for text in instructions.values())


def test_red_flags_are_complete_and_well_formed(policy: dict[str, Any]) -> None:
    flags = policy["red_flags"]
    ids = [flag["id"] for flag in flags]
    assert len(set(ids)) == len(ids)
    assert REQUIRED_RED_FLAGS <= set(ids)
    instructions = set(policy["emergency_instructions"])
    for flag in flags:
        assert flag["level"] == "emergent", flag["id"]
        assert flag["instructions"] in instructions, flag["id"]
        assert flag["phrases"], flag["id"]
        assert all(p == p.lower() and p.strip() == p and p for p in flag["phrases"]), flag["id"]
        assert len(set(flag["phrases"])) == len(flag["phrases"]), flag["id"]
        assert len({e.strip().lower() for e in flag["exemplars"]}) >= 8, flag["id"]
    by_id = {flag["id"]: flag for flag in flags}
    assert by_id["suicidal-thoughts"]["instructions"] == "call_988"
    assert by_id["chest-pain"]["instructions"] == "call_911"


def test_urgent_flags_are_well_formed(policy: dict[str, Any]) -> None:
    flags = policy["urgent_flags"]
    ids = [flag["id"] for flag in flags]
    assert len(set(ids)) == len(ids)
    assert not set(ids) & {flag["id"] for flag in policy["red_flags"]}
    for flag in flags:
        assert flag["level"] in LEVELS - {"emergent"}, flag["id"]
        assert all(p == p.lower() and p.strip() == p and p for p in flag["phrases"]), flag["id"]
        assert len(flag["exemplars"]) >= 8, flag["id"]


def test_look_alikes_are_plenty_and_never_red_flag_exemplars(policy: dict[str, Any]) -> None:
    look_alikes = [text.strip().lower() for text in policy["look_alikes"]]
    assert len(look_alikes) >= 50
    assert len(set(look_alikes)) == len(look_alikes)
    flagged = {
        e.strip().lower() for flag in policy["red_flags"] + policy["urgent_flags"] for e in flag["exemplars"]
    }
    assert set(look_alikes) & flagged == set()


def test_refusals_cover_the_three_kinds(policy: dict[str, Any]) -> None:
    refusals = policy["refusals"]
    assert set(refusals) == REQUIRED_REFUSALS
    for name, refusal in refusals.items():
        assert refusal["phrases"], name
        assert all(p == p.lower() and p for p in refusal["phrases"]), name
        assert len(refusal["exemplars"]) >= 8, name


def test_actions_have_valid_risk_and_levels(policy: dict[str, Any]) -> None:
    actions = policy["actions"]
    # Keyed by the kinds the agent drafts (agent/models.py DraftTool), so escalate.py can read them.
    assert {"refill", "booking", "referral", "message"} <= set(actions)
    for name, action in actions.items():
        assert action["risk"] in {"draft", "commit"}, name
        assert action["escalation"] == "action_approval", name
        assert action["level"] in LEVELS, name
    dose_change = next(r for r in policy["escalation"]["rules"] if r["when"] == "dose_change_request")
    assert dose_change["level"] == "urgent"
