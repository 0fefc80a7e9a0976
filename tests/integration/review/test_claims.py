"""Claiming queue items: one holder at a time, audited, refused for viewers, never a decision."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from agent.escalations import EscalationRequest
from agent.transcript import TranscriptLine
from carecoord.audit import AuditLog
from carecoord.review.claims import ClaimRefused
from carecoord.review.errors import NotAllowed
from carecoord.review.queue import ReviewQueue
from carecoord.review.service import ReviewService
from carecoord.users import UserStore
from tests.integration.review.conftest import BACKENDS, FAST_BCRYPT
from tools.fhir import FhirGateway

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("database_url", BACKENDS, indirect=True)]


class NoThreads:
    """Claims never touch threads; a decision would (and is not made here)."""

    def transcript(self, thread_id: str) -> list[TranscriptLine] | None:
        return None

    def resume(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("a claim must not resume the patient's thread")


@pytest.fixture
def service(engine: Engine) -> Iterator[ReviewService]:
    audit = AuditLog(engine)
    queue = ReviewQueue(engine, audit=audit)
    users = UserStore(engine, rounds=FAST_BCRYPT)
    users.add("drlee", "correct horse", "clinician", "Dr. Lee")
    users.add("drkim", "battery staple", "clinician", "Dr. Kim")
    users.add("admin", "admin password", "admin")
    users.add("reader", "reader password", "viewer")
    queue.file(
        EscalationRequest.model_validate(
            {
                "dedupe_key": "t-1:0:action_approval",
                "patient_id": "p1",
                "thread_id": "t-1",
                "kind": "action_approval",
                "level": "routine",
                "summary": "Refill metformin",
                "rationale": "plan: refill",
                "question": "Can I get a refill of my metformin?",
            }
        )
    )
    gateway = FhirGateway("http://127.0.0.1:9/fhir")
    with ReviewService(queue, audit, users, gateway, NoThreads()) as opened:  # type: ignore[arg-type]
        yield opened


def test_claim_and_unclaim_are_audited_and_exclusive(service: ReviewService) -> None:
    item_id = service.list()[0].id
    before = service.queue.require(item_id).version
    claimed = service.claim(item_id, "drlee")
    assert claimed.assignee == "drlee"
    assert service.list()[0].assignee == "drlee"
    assert service.claim(item_id, "drlee").assignee == "drlee"  # again: no change, no second entry
    with pytest.raises(ClaimRefused, match="claimed by drlee"):
        service.claim(item_id, "drkim")
    with pytest.raises(ClaimRefused):
        service.unclaim(item_id, "drkim")
    assert service.unclaim(item_id, "drlee").assignee is None
    assert service.claim(item_id, "drkim").assignee == "drkim"
    assert service.unclaim(item_id, "admin").assignee is None  # an admin may release anyone's claim

    claims = service.audit.entries(action="review.claim", subject=f"review:{item_id}")
    releases = service.audit.entries(action="review.unclaim", subject=f"review:{item_id}")
    assert [e.actor for e in claims] == ["drkim", "drlee"]
    assert [e.actor for e in releases] == ["admin", "drlee"]
    assert service.audit.verify().ok
    item = service.queue.require(item_id)
    assert (item.status, item.version, item.decided_by) == ("pending", before, None)


def test_a_viewer_cannot_claim(service: ReviewService) -> None:
    item_id = service.list()[0].id
    with pytest.raises(NotAllowed):
        service.claim(item_id, "reader")
    assert service.list()[0].assignee is None
    assert service.audit.entries(action="review.denied", subject=f"review:{item_id}")


def test_the_json_listing_shows_the_assignee_but_not_the_question_hash(service: ReviewService) -> None:
    item_id = service.list()[0].id
    service.claim(item_id, "drlee")
    dumped = service.list()[0].model_dump(mode="json")
    assert dumped["assignee"] == "drlee"
    assert "question_hash" not in dumped
