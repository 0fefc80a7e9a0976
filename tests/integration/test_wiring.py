"""The composition root builds each service once per process: one FHIR gateway, one chat service.

A process that serves the API (sessions, a turn, readiness), reviews (a clinician approves the turn's
refill, which writes to FHIR and resumes the thread) and shows the transcript must construct exactly one
`FhirGateway`; before the composition root it built one for the chat, one for the review stores, one for
the review service and one per readiness probe.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carecoord.settings import Settings
from carecoord.wiring import Services, open_services
from tests.fixtures.agent import VECTOR_CACHE, SeededSandbox
from tests.fixtures.api import metformin_patients
from tools.fhir import FhirGateway
from ui.api.app import create_app
from ui.api.auth import TokenService

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def constructed(monkeypatch: pytest.MonkeyPatch) -> list[FhirGateway]:
    """Every `FhirGateway` built from now on (subclasses included)."""
    made: list[FhirGateway] = []
    original = FhirGateway.__init__

    def counting(self: FhirGateway, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(FhirGateway, "__init__", counting)
    return made


@pytest.fixture
def settings(knowledge_data_dir: Path, seeded_sandbox: SeededSandbox, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=knowledge_data_dir,
        fhir_url=seeded_sandbox.url,
        reasoner="offline",
        vector_cache_dir=VECTOR_CACHE,
        database_url=f"sqlite:///{tmp_path / 'carecoord.sqlite3'}",
        demo_mode=True,
    )


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    with open_services(settings) as opened:
        yield opened


def _history(client: TestClient, thread: str, kind: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        events = client.get(f"/v1/threads/{thread}").json()["events"]
        if any(e["event"]["type"] == kind for e in events):
            return [e["event"] for e in events]
        time.sleep(0.2)
    raise AssertionError(f"no {kind} event on {thread}")


def test_one_fhir_gateway_serves_the_api_the_review_and_the_chat(
    constructed: list[FhirGateway],
    services: Services,
    settings: Settings,
    seeded_sandbox: SeededSandbox,
) -> None:
    patient = metformin_patients(seeded_sandbox)[-1]  # the one other tests reach last
    app = create_app(settings, services_for=lambda _settings: nullcontext(services))
    token = TokenService.from_settings(settings).issue(patient)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.get("/readyz").json()["checks"]["fhir"] == "ok"
        thread = client.post("/v1/sessions").json()["thread_id"]
        sent = client.post(
            f"/v1/threads/{thread}/messages", json={"text": "Can I get a refill of my metformin?"}
        )
        assert sent.status_code == 202, sent.text
        events = _history(client, thread, "escalation")
        escalation = next(e for e in events if e["type"] == "escalation")
        assert escalation["kind"] == "action_approval"

        review = services.review
        if review.users.get("drone") is None:
            review.users.add("drone", "correct horse battery", "clinician", "Dr. One")
        outcome = review.approve(escalation["id"], "drone")
        assert outcome.fhir_reference is not None and outcome.patient_message
        decided = _history(client, thread, "decision")
        decision = next(e for e in decided if e["type"] == "decision")
        assert decision["escalation_id"] == escalation["id"] and decision["outcome"] == "approved"
        assert decision["clinician"] == "Dr. One"
        assert review.detail(escalation["id"]).transcript[-1] == f"care team: {outcome.patient_message}"
        assert client.get("/readyz").json()["checks"]["fhir"] == "ok"

    assert services.chat() is services.chat()
    assert len(constructed) == 1, [g.base_url for g in constructed]
    assert constructed[0] is services.gateway


def test_a_review_process_resumes_threads_without_loading_the_agent(
    constructed: list[FhirGateway], services: Services
) -> None:
    review = services.review
    assert review.list() == []
    assert "embedder" not in vars(services) and "index" not in vars(services)
    assert len(constructed) == 1
