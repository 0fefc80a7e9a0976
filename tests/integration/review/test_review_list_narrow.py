"""`carecoord review list` at 80 columns: whole item ids, patient prefixes that `--patient` takes back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.escalations import EscalationRequest
from carecoord.cli import app
from carecoord.db import make_engine
from carecoord.review.queue import ReviewQueue
from carecoord.settings import get_settings
from tests.fixtures.agent import TEST_KEYS, session_keyring

pytestmark = [pytest.mark.integration]

PATIENTS = ["5f0c2a9e-1b7d-5e43-9a7c-0d2e8f6b1a11", "5f0c2a9e-77aa-5e43-9a7c-0d2e8f6b1a22"]


@pytest.fixture
def queue_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    for name, value in {
        "CARECOORD_DATA_DIR": str(tmp_path),
        "CARECOORD_DATABASE_URL": url,
        "CARECOORD_FHIR_URL": "http://127.0.0.1:9/fhir",
        "CARECOORD_TRANSCRIPT_KEYS": json.dumps({k: v.get_secret_value() for k, v in TEST_KEYS.items()}),
        "CARECOORD_TRANSCRIPT_KEY_ID": "test",
        "COLUMNS": "80",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    engine = make_engine(url, session_keyring())
    queue = ReviewQueue(engine)
    ids = [
        queue.file(
            EscalationRequest.model_validate(
                {
                    "dedupe_key": f"t{n}:0:action_approval",
                    "patient_id": patient,
                    "thread_id": f"t{n}",
                    "kind": "action_approval",
                    "level": "routine",
                    "summary": "Refill metformin 500 mg oral tablet (60 tablet)",
                    "rationale": "plan: refill",
                    "question": "Can I get a refill?",
                }
            )
        ).id
        for n, patient in enumerate(PATIENTS)
    ]
    yield ids
    engine.dispose()
    get_settings.cache_clear()


def test_list_fits_80_columns_and_prefixes_filter(queue_ids: list[str]) -> None:
    shown = CliRunner().invoke(app, ["review", "list"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert all(sum(item_id in line for line in lines) == 1 for item_id in queue_ids)
    assert "5f0c2a9e-1 " in shown.output and "5f0c2a9e-7 " in shown.output

    one = CliRunner().invoke(app, ["review", "list", "--patient", "5f0c2a9e-7"])
    assert one.exit_code == 0, one.output
    assert queue_ids[1] in one.output and queue_ids[0] not in one.output
    assert "5f0c2a9e-7 " in one.output, "the prefix stays unique across the whole queue"

    ambiguous = CliRunner().invoke(app, ["review", "list", "--patient", "5f0c2a9e"])
    assert ambiguous.exit_code == 1
    assert "matches 2 patients" in ambiguous.output
