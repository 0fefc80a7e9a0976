"""`carecoord review approve ID --as USER --edited FILE`: the EHR gets the edit, the patient is told it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import carecoord.wiring
from carecoord.commands.review import app
from carecoord.login_throttle import LoginThrottle
from carecoord.review.service import ReviewService
from carecoord.settings import Settings
from carecoord.sign_in import SignIn
from carecoord.users import UserStore
from tests.integration.review.approval_world import ApprovalWorld, approval_world

pytestmark = pytest.mark.integration
PASSWORD = "correct horse\n\n"  # drlee's password, then no authenticator code


@dataclass(frozen=True)
class WorldServices:
    """What `carecoord review approve` uses of `Services`: this world's review service and sign-in."""

    review: ReviewService
    users: UserStore
    sign_in: SignIn


@pytest.fixture
def world(sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApprovalWorld]:
    """The CLI's services are this world's (over the sandbox, patients' threads recorded)."""
    with approval_world(sandbox_url, tmp_path) as made:
        users = made.service.users
        sign_in = SignIn(users, made.audit, LoginThrottle(made.queue.engine))

        @contextmanager
        def opened(settings: Settings) -> Iterator[WorldServices]:
            yield WorldServices(made.service, users, sign_in)

        monkeypatch.setattr(carecoord.wiring, "open_services", opened)
        yield made


def test_approve_with_an_edited_file_writes_and_tells_the_edited_values(
    world: ApprovalWorld, tmp_path: Path
) -> None:
    clinic = world.seed()
    record = world.record(clinic)
    [medication] = record.active_medications()
    draft = record.draft_refill(medication, request_key="cli")
    item_id = world.file(clinic, draft)
    edited = json.loads(json.dumps(draft.resource))
    edited["dispenseRequest"]["quantity"]["value"] = 60
    edited_file = tmp_path / "edited.json"
    edited_file.write_text(json.dumps(edited), encoding="utf-8")
    runner = CliRunner()
    approve = ["approve", item_id, "--as", "drlee"]

    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    refused = runner.invoke(
        app, ["approve", item_id, "--as", "drlee", "--edited", str(bad), "--password-stdin"], input=PASSWORD
    )
    assert refused.exit_code == 1 and world.queue.require(item_id).status == "pending"

    result = runner.invoke(
        app, [*approve, "--edited", str(edited_file), "--json", "--password-stdin"], input=PASSWORD
    )

    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    [order] = world.written(draft)
    assert outcome["fhir_reference"] == f"MedicationRequest/{order['id']}"
    assert order["dispenseRequest"]["quantity"]["value"] == 60
    assert outcome["patient_message"] == (
        "Your care team (Dr. Lee) approved: Refill metformin 500 mg oral tablet "
        "(60 tablet, 90 days' supply, 2 refills) (adjusted by your care team)."
    )
    assert world.told(item_id) == outcome["patient_message"]
