"""Time approvals in a fresh process, as the console or `carecoord review` makes them (for approval_bench).

`python -m evals.approval_timing DATA_DIR FHIR_URL USER ID...` prints the wall time of each approval in
milliseconds as a JSON list. Services are opened before the clock starts (the console opens them when a
page first loads); the first approval is the first one a clinician makes in that process.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer


def main(
    data_dir: Path,
    fhir_url: str,
    user: str,
    item_ids: Annotated[list[str], typer.Argument(help="Review items to approve, in order.")],
) -> None:
    """Approve each item, printing the wall times."""
    from carecoord.settings import Settings
    from carecoord.wiring import open_services

    settings = Settings(
        data_dir=data_dir,
        fhir_url=fhir_url,
        reasoner="offline",
        vector_cache_dir=Path(".carecoord/cache/vectors"),
    )
    walls = []
    with open_services(settings) as services:
        review = services.review
        for item_id in item_ids:
            started = time.perf_counter()
            review.approve(item_id, user)
            walls.append(round((time.perf_counter() - started) * 1000, 1))
    typer.echo(json.dumps(walls))


if __name__ == "__main__":
    typer.run(main)
