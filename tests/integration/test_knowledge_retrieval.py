from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from knowledge.retriever import HybridRetriever
from tests.fixtures.knowledge import KnowledgeBase

pytestmark = pytest.mark.integration


def test_session_index_holds_the_whole_corpus(knowledge_base: KnowledgeBase) -> None:
    report = knowledge_base.report
    assert report.files >= 60 and not report.skipped
    assert report.chunks_total == report.chunks_added > 250


@pytest.mark.parametrize(
    ("query", "article"),
    [
        ("how do I check my blood pressure at home", "home-blood-pressure-measurement"),
        ("I forgot my water pill this morning", "water-pills-diuretics"),
        ("my sugar is 58 and I'm shaky", "low-blood-sugar-hypoglycemia"),
        ("metformn misssed dose", "missed-dose-metformin"),
        ("what is 988", "mental-health-crisis-988"),
        ("can I take advil with my blood thinner", "pain-relief-on-blood-thinners"),
    ],
)
def test_answerable_questions_find_their_article(
    knowledge_retriever: HybridRetriever, query: str, article: str
) -> None:
    result = knowledge_retriever.search(query, k=5)
    assert not result.abstain, result.best_score
    assert article in [passage.article_id for passage in result.passages[:3]]
    assert len(result.passages) == 5
    assert result.passages == sorted(result.passages, key=lambda passage: -passage.score)
    assert 0 < result.passages[-1].score <= result.passages[0].score <= 1.0


@pytest.mark.parametrize(
    "query",
    [
        "how do I replace the brake pads on my car",
        "my car makes a grinding noise when I start it, what should I fix",
        "what is the usual dose of Zorbitrex",
        "can I take Quelvaxipan with my lisinopril",
        "when is the next solar eclipse",
    ],
)
def test_questions_the_corpus_cannot_answer_abstain(knowledge_retriever: HybridRetriever, query: str) -> None:
    result = knowledge_retriever.search(query)
    assert result.abstain, [(p.article_id, result.best_score) for p in result.passages[:2]]


def test_filters_restrict_audience_and_topics(knowledge_retriever: HybridRetriever) -> None:
    only_vaccines = knowledge_retriever.search("what should I do if I miss a dose", topics=["vaccines"])
    assert only_vaccines.passages and all("vaccines" in p.topics for p in only_vaccines.passages)
    assert knowledge_retriever.search("blood pressure", audience="clinician").passages == []
    patients = knowledge_retriever.search("blood pressure", audience="patient")
    assert all(p.audience == "patient" for p in patients.passages)


def test_at_most_two_passages_per_article(knowledge_retriever: HybridRetriever) -> None:
    result = knowledge_retriever.search("heart failure", k=8)
    counts: dict[str, int] = {}
    for passage in result.passages:
        counts[passage.article_id] = counts.get(passage.article_id, 0) + 1
    assert max(counts.values()) <= 2


def _cli(knowledge_base: KnowledgeBase, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CARECOORD_DATA_DIR": str(knowledge_base.settings.data_dir), "HF_HUB_OFFLINE": "1"}
    env.pop("CARECOORD_CHROMA_URL", None)
    command = [sys.executable, "-m", "carecoord", "knowledge", "search", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=180)


def test_cli_search_json_puts_the_right_article_first(knowledge_base: KnowledgeBase) -> None:
    done = _cli(knowledge_base, "how do I check my blood pressure at home", "--json")
    assert done.returncode == 0, done.stderr
    passages = json.loads(done.stdout)
    assert passages[0]["article_id"] == "home-blood-pressure-measurement"
    assert len(passages) == 5
    assert list(passages[0])[:7] == ["id", "article_id", "title", "section", "text", "score", "guideline"]
    assert passages[0]["guideline"].startswith("2017 ACC/AHA")
    assert "abstain" not in done.stderr


def test_cli_search_signals_abstention_on_stderr(
    knowledge_base: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carecoord.commands.knowledge import app
    from carecoord.settings import get_settings

    monkeypatch.setenv("CARECOORD_DATA_DIR", str(knowledge_base.settings.data_dir))
    monkeypatch.delenv("CARECOORD_CHROMA_URL", raising=False)
    get_settings.cache_clear()
    try:
        as_json = CliRunner().invoke(
            app, ["search", "how do I replace the brake pads on my car", "--json", "-k", "3"]
        )
        human = CliRunner().invoke(app, ["search", "how do I replace the brake pads on my car"])
    finally:
        get_settings.cache_clear()
    assert as_json.exit_code == 0, as_json.output
    passages = json.loads(as_json.stdout)
    assert isinstance(passages, list) and len(passages) == 3
    assert "abstain" in as_json.stderr
    assert human.exit_code == 0 and "Nothing in the knowledge base is relevant enough" in human.stdout
