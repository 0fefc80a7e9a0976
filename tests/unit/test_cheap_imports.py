"""The clinician's commands stay quick: deciding an item or reading a thread loads no model libraries.

`carecoord review list/approve`, `users add` and `audit verify` open the composition root and resume
threads through the graph; none of that needs spaCy, torch, sklearn or Chroma, which cost ~8 s of imports
per command. Only a turn (or an ingest) loads them.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("spacy", "torch", "sklearn", "chromadb", "sentence_transformers", "thinc")

PROBE = """
import json, sys
import carecoord.cli, carecoord.wiring, agent.service, agent.threads, carecoord.commands.review
from agent.graph import build_graph
from langgraph.checkpoint.memory import InMemorySaver
build_graph(InMemorySaver())
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in %r)))
"""


def test_the_composition_root_and_the_graph_load_no_model_library() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY,)], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = json.loads(probe.stdout.strip().splitlines()[-1])
    assert loaded == []


def test_a_turn_still_finds_the_language_layer_when_it_needs_it() -> None:
    from agent.language import Analysis, analyze

    analysis = analyze("I missed my metformin this morning")
    assert isinstance(analysis, Analysis)
    assert "metformin" in {m.text.lower() for m in analysis.of_kind("medication")}
