"""`make bench`: every benchmark, apart from the tests, each printing its own table.

Retrieval (three retrievers side by side, tune and held-out splits, interleaved throughput pairs), the
first query after an ingest at 1x and 50x the corpus, warm offline turns on unseen messages (latency,
CPU, a dense patient's FHIR time), the safety screen alone, the verifier calibrated on K-QA, and the
verifier's AUROC on every detect suite beside its style-only baselines, and clinician approvals
(cold, warm p50/p95). The API load test has its own
entry point (`python -m evals.load`, short by default; `--sweep` for the full grid).
"""

from __future__ import annotations

import subprocess
import sys

PARTS = (
    "knowledge.bench",
    "knowledge.bench_scale",
    "evals.turn_bench",
    "evals.screen_bench",
    "evals.kqa",
    "evals.detect_bench",
    "evals.approval_bench",
)


def main() -> None:
    """Run each benchmark in its own process so one failure does not hide the others."""
    failed = [part for part in PARTS if subprocess.call([sys.executable, "-m", part]) != 0]
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
