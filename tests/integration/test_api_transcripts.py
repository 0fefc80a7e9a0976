"""Transcripts at rest (AES-GCM, rotating keys), logs without patient text, metrics, live decisions."""

from __future__ import annotations

import base64
import os
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.service import ChatService
from carecoord.chat_tables import ChatMessage
from carecoord.db import make_engine
from carecoord.keyring import TranscriptCipher, TranscriptKeyError
from carecoord.wiring import open_review_service, phi_keyring
from tests.fixtures.agent import SeededSandbox
from tests.fixtures.api import ApiServer, ask, has_type, open_session, read_events
from ui.api.events import AnswerEvent, DecisionEvent, ErrorEvent, MessageEvent
from ui.api.store import TranscriptStore

pytestmark = pytest.mark.integration


def _key() -> bytes:
    return os.urandom(32)


def test_rows_are_sealed_and_old_keys_still_open_after_rotation(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'rotate.sqlite3'}")
    k1, k2 = _key(), _key()
    before = TranscriptStore(engine, TranscriptCipher({"k1": k1}, "k1"))
    thread = before.open_thread("patient-1")
    before.append(thread, MessageEvent(text="my secret question about metformin"))

    after = TranscriptStore(engine, TranscriptCipher({"k1": k1, "k2": k2}, "k2"))
    after.append(thread, MessageEvent(text="a newer message"))
    events = after.events(thread.id)
    with Session(engine) as session:
        rows = session.scalars(select(ChatMessage).order_by(ChatMessage.id)).all()
        stored = [(row.key_id, row.ciphertext, row.patient_id) for row in rows]

    assert [e.event.text for e in events if isinstance(e.event, MessageEvent)] == [
        "my secret question about metformin",
        "a newer message",
    ]
    assert [key_id for key_id, _, _ in stored] == ["k1", "k2"]
    assert all(b"metformin" not in blob and b"newer" not in blob for _, blob, _ in stored)
    assert {patient for _, _, patient in stored} == {"patient-1"}
    # Issue 15: a row whose key was retired is a visible "unreadable entry"; the rest still reads.
    retired = TranscriptStore(engine, TranscriptCipher({"k2": k2}, "k2")).events(thread.id)
    assert isinstance(retired[0].event, ErrorEvent) and retired[0].event.code == "unreadable_entry"
    assert isinstance(retired[1].event, MessageEvent) and retired[1].event.text == "a newer message"


def test_a_row_moved_to_another_thread_does_not_open(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'aad.sqlite3'}")
    store = TranscriptStore(engine, TranscriptCipher({"k1": _key()}, "k1"))
    mine, theirs = store.open_thread("patient-1"), store.open_thread("patient-2")
    store.append(mine, MessageEvent(text="private"))
    with Session(engine) as session:
        row = session.scalars(select(ChatMessage)).one()
        row.thread_id = theirs.id
        session.commit()
    [moved] = store.events(theirs.id)
    assert isinstance(moved.event, ErrorEvent) and moved.event.code == "unreadable_entry"
    assert "private" not in moved.model_dump_json()


def test_cipher_refuses_bad_keys() -> None:
    with pytest.raises(TranscriptKeyError, match="16, 24 or 32 bytes"):
        TranscriptCipher({"k": b"short"}, "k")
    with pytest.raises(TranscriptKeyError, match="not among"):
        TranscriptCipher({"k": _key()}, "other")
    assert len(base64.b64decode(base64.b64encode(_key()))) == 32


def test_the_servers_transcript_table_holds_no_plaintext(api_server: ApiServer) -> None:
    words = "Whisper-check zebra-lantern: what medications am I taking?"
    with api_server.client(api_server.token(api_server.patient())) as client:
        thread = open_session(client)
        ask(client, thread, words)
    engine = make_engine(api_server.settings.sqlalchemy_url, phi_keyring(api_server.settings))
    with Session(engine) as session:
        rows = session.scalars(select(ChatMessage).where(ChatMessage.thread_id == thread)).all()
        assert rows and {row.key_id for row in rows} == {"k1"}
        assert all(b"zebra-lantern" not in row.ciphertext for row in rows)
    engine.dispose()


def test_server_logs_carry_ids_and_timings_but_no_names_or_message_text(
    api_server: ApiServer, seeded_sandbox: SeededSandbox
) -> None:
    patient_id = api_server.patient()
    person = next(p for p in seeded_sandbox.cohort.patients if p.id == patient_id)
    message = f"Hello, this is {person.name}. Marigold saxophone: when is my next appointment?"
    with api_server.client(api_server.token(patient_id)) as client:
        thread = open_session(client)
        frames = ask(client, thread, message)
        client.get(f"/v1/threads/{thread}")
    assert frames[-1].type == "answer"
    log = api_server.log_text()
    assert re.search(rf"turn thread={thread} patient={patient_id} ms=\d+", log)
    for secret in [
        *person.name.split(),
        "Marigold",
        "saxophone",
        "appointment",
        frames[-1].event["answer"][:30],
    ]:
        assert secret not in log, f"{secret!r} leaked into the server log"


def test_metrics_count_turns_and_escalations_by_level(api_server: ApiServer) -> None:
    with api_server.client(api_server.token(api_server.patient(on_metformin=True))) as client:
        thread = open_session(client)
        frames = ask(client, thread, "Can I get a refill of my metformin?", until=has_type("escalation"))
        text = client.get("/metrics").text
    assert any(f.type == "escalation" for f in frames)
    counts = dict(re.findall(r'^carecoord_escalations_total\{level="(\w+)"\} ([\d.]+)$', text, re.M))
    assert float(counts["routine"]) >= 1
    assert float(re.search(r"^carecoord_turn_seconds_count ([\d.]+)$", text, re.M).group(1)) >= 1  # type: ignore[union-attr]
    assert (
        "carecoord_verifier_removals_total" in text and "# TYPE carecoord_tool_errors_total counter" in text
    )


def test_a_decision_made_in_another_process_reaches_the_open_stream(
    api_server: ApiServer, chat_service: ChatService
) -> None:
    patient = api_server.patient(on_metformin=True)
    with api_server.client(api_server.token(patient)) as client:
        thread = open_session(client)
        frames = ask(client, thread, "Can I get a refill of my metformin?", until=has_type("escalation"))
        escalation = next(f for f in frames if f.type == "escalation").event
        assert escalation["status"] == "pending" and escalation["kind"] == "action_approval"
        assert "metformin" in escalation["summary"]
        last = frames[-1].id

        failures: list[BaseException] = []

        def decide() -> None:
            try:
                with open_review_service(api_server.settings) as review:
                    if review.users.get("drapi") is None:
                        review.users.add("drapi", "correct horse battery", "clinician", "Dr. Api")
                    review.reject(escalation["id"], "drapi", "Please book a visit first")
            except BaseException as exc:
                failures.append(exc)

        decider = threading.Timer(1.0, decide)
        decider.start()
        try:
            decision = read_events(client, thread, has_type("decision"), after=last, timeout_s=90)
        finally:
            decider.join()
        assert not failures, failures
        history = client.get(f"/v1/threads/{thread}").json()
    event = next(f for f in decision if f.type == "decision").event
    assert event["escalation_id"] == escalation["id"] and event["outcome"] == "rejected"
    assert "Please book a visit first" in event["text"]
    kinds = [e["event"]["type"] for e in history["events"]]
    assert kinds == ["message", "answer", "escalation", "decision"]
    assert DecisionEvent.model_validate(history["events"][-1]["event"]).clinician == "Dr. Api"
    assert AnswerEvent.model_validate(history["events"][1]["event"]).escalation is not None


def test_the_emergency_stays_on_its_own_answer_in_the_transcript(api_server: ApiServer) -> None:
    """Issue 13 item 7: only the emergent answer carries the emergent escalation, live and on reload."""
    with api_server.client(api_server.token(api_server.patient(on_metformin=True))) as client:
        thread = open_session(client)
        first = ask(client, thread, "I have crushing chest pain and can't breathe")
        ask(client, thread, "is pizza ok?", after=max(f.id for f in first))
        history = client.get(f"/v1/threads/{thread}").json()["events"]
    answers = [e["event"] for e in history if e["event"]["type"] == "answer"]
    levels = [(a["escalation"] or {}).get("level") for a in answers]
    assert levels == ["emergent", None], levels
    assert "911" in answers[0]["answer"] and "911" not in answers[1]["answer"]
