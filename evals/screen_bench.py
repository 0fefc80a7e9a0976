"""Safety-screen micro-benchmark: `python -m evals.screen_bench` (part of `make bench`).

Times `SafetyScreen.check` alone, built as the agent builds it, on 300 generated messages none of
which it has seen (`evals.messages`), after a warm-up on others: wall p50/p95 and CPU per check. The
screen is being rewritten (issue 16 item 1); this times whatever `SafetyScreen.check` is.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Annotated

import typer

from evals.messages import unseen_messages

VECTOR_CACHE = Path(".carecoord") / "cache" / "vectors"


def run(count: int) -> dict[str, float]:
    """Build the screen, warm it, time `count` checks."""
    from agent.intents import IntentClassifier
    from agent.policy import Policy, SafetyScreen
    from knowledge.embedder import load_embedder
    from knowledge.vector_cache import CachedEmbedder

    cached = CachedEmbedder(load_embedder(), VECTOR_CACHE)
    classifier = IntentClassifier(cached)
    screen = SafetyScreen(Policy.load(), cached, ordinary=classifier.exemplars)
    screen.warm()
    warm = unseen_messages(30, seed=11)
    for message in warm:
        screen.check(message)
    walls: list[float] = []
    cpus: list[float] = []
    for message in unseen_messages(count, seed=12, exclude=set(warm)):
        started, cpu = time.perf_counter(), time.process_time()
        screen.check(message)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    ordered = sorted(walls)
    return {
        "checks": count,
        "p50_ms": round(statistics.median(walls), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
        "cpu_ms_per_check": round(statistics.mean(cpus), 2),
    }


def main(
    count: Annotated[int, typer.Option(help="Messages to screen (each new).")] = 300,
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON.")] = False,
) -> None:
    """Print p50/p95 and CPU per check."""
    result = run(count)
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(
        f"SafetyScreen.check on {count} unseen messages: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
        f"CPU {result['cpu_ms_per_check']} ms per check"
    )


if __name__ == "__main__":
    typer.run(main)
