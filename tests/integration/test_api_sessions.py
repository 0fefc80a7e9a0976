"""The patient API over HTTP: health, tokens, sessions, a streamed turn, history and patient isolation."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient

from agent.service import ChatService
from carecoord.db import make_engine
from carecoord.settings import Settings
from carecoord.wiring import fhir_gateway, phi_keyring
from tests.fixtures.api import ApiServer, Borrowed, answered, ask, has_type, open_session, read_events
from tests.fixtures.processes import free_port
from ui.api.app import create_app

pytestmark = pytest.mark.integration


def test_health_ready_and_docs(api_server: ApiServer) -> None:
    with api_server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"fhir": "ok", "chroma": "ok", "database": "ok"}
        assert client.get("/docs").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/sessions", "/v1/threads/{thread_id}/messages", "/v1/threads/{thread_id}/events"} <= set(
        paths
    )
    assert "/v1/threads/{thread_id}" in paths


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda s, p: None, "token_missing"),
        (lambda s, p: "not-a-jwt", "token_invalid"),
        (
            lambda s, p: jwt.encode({"patient": p, "iss": "carecoord", "iat": 1, "exp": 2}, s, "HS256"),
            "token_expired",
        ),
        (
            lambda s, p: jwt.encode(
                {"patient": p, "iss": "carecoord", "iat": int(time.time()), "exp": int(time.time()) + 60},
                "another-secret-that-is-long-enough",
                "HS256",
            ),
            "token_invalid",
        ),
        (
            lambda s, p: jwt.encode(
                {"patient": p, "iss": "elsewhere", "iat": int(time.time()), "exp": int(time.time()) + 60},
                s,
                "HS256",
            ),
            "token_invalid",
        ),
        (
            lambda s, p: jwt.encode(
                {"iss": "carecoord", "iat": int(time.time()), "exp": int(time.time()) + 60}, s, "HS256"
            ),
            "token_invalid",
        ),
    ],
    ids=["missing", "garbage", "expired", "wrong-secret", "wrong-issuer", "no-patient-claim"],
)
def test_bad_tokens_get_401(api_server: ApiServer, make_token: object, code: str) -> None:
    assert api_server.settings.jwt_secret is not None
    secret = api_server.settings.jwt_secret.get_secret_value()
    token = make_token(secret, api_server.patient())  # type: ignore[operator]
    with api_server.client(token) as client:
        response = client.post("/v1/sessions")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("lifetime_s", "jti", "code", "message"),
    [
        (
            60,
            None,
            "token_invalid",
            "The token has no 'jti' claim; tokens need iss, patient, iat, exp and jti.",
        ),
        (
            90_000,
            "j-long",
            "token_lifetime_exceeded",
            "The token lives 25h, longer than the 24h maximum; ask for a shorter-lived token.",
        ),
    ],
    ids=["no-jti", "over-max-lifetime"],
)
def test_tokens_without_jti_or_living_too_long_get_401(
    api_server: ApiServer, lifetime_s: int, jti: str | None, code: str, message: str
) -> None:
    """Issue 15 (a fixed patient id: a refused token never reaches a patient's rate-limit bucket)."""
    assert api_server.settings.jwt_secret is not None
    now = int(time.time())
    claims = {"patient": "p-claims", "iss": "carecoord", "iat": now, "exp": now + lifetime_s}
    token = jwt.encode(
        {**claims, **({"jti": jti} if jti else {})},
        api_server.settings.jwt_secret.get_secret_value(),
        "HS256",
    )
    with api_server.client(token) as client:
        response = client.post("/v1/sessions")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == {"code": code, "message": message}


def test_tokens_issue_command_mints_a_token_the_api_accepts(api_server: ApiServer) -> None:
    patient = api_server.patient()
    minted = subprocess.run(
        [sys.executable, "-m", "carecoord", "tokens", "issue", "--patient", patient, "--ttl", "5m"],
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = minted.stdout.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["patient"] == patient and 290 <= claims["exp"] - claims["iat"] <= 300
    assert f"jti {claims['jti']} (revoke with `carecoord tokens revoke {claims['jti']}`)" in minted.stderr
    with api_server.client(token) as client:
        response = client.post("/v1/sessions")
    assert response.status_code == 201
    assert response.json()["patient_id"] == patient


def test_tokens_issue_rejects_a_bad_ttl(api_server: ApiServer) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "carecoord", "tokens", "issue", "--patient", "p", "--ttl", "soon"],
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "not a duration" in result.stderr and "Traceback" not in result.stderr


def test_a_turn_streams_status_then_a_cited_answer_and_the_history_replays_it(api_server: ApiServer) -> None:
    with api_server.client(api_server.token(api_server.patient())) as client:
        thread = open_session(client)
        frames = ask(client, thread, "When is my next appointment?")
        history = client.get(f"/v1/threads/{thread}").json()
    types = [frame.type for frame in frames]
    assert types[0] == "message" and types[-1] == "answer"
    statuses = [frame.event["text"] for frame in frames if frame.type == "status"]
    assert statuses[0] == "Reading your message…"
    assert "Looking up your appointments…" in statuses
    answer = frames[-1].event
    assert "[1]" in answer["answer"]
    assert answer["citations"][0]["kind"] == "fhir" and answer["citations"][0]["id"].startswith(
        "Appointment/"
    )
    assert answer["grounding"]["supported"] >= 1 and answer["escalation"] is None
    assert [frame.id for frame in frames] == sorted(frame.id for frame in frames)
    assert [e["event"]["type"] for e in history["events"]] == ["message", "answer"]
    assert history["events"][1]["event"]["answer"] == answer["answer"]
    assert history["busy"] is False


def test_reconnecting_with_last_event_id_resumes_after_it(api_server: ApiServer) -> None:
    with api_server.client(api_server.token(api_server.patient())) as client:
        thread = open_session(client)
        frames = ask(client, thread, "What medications am I taking?")
        message_id = frames[0].id
        client.headers["Last-Event-ID"] = str(message_id)
        resumed = read_events(client, thread, answered)
    assert resumed[0].id > message_id
    assert [f.id for f in resumed] == [f.id for f in frames if f.id > message_id]


def test_one_turn_at_a_time_per_thread(api_server: ApiServer) -> None:
    with api_server.client(api_server.token(api_server.patient())) as client:
        thread = open_session(client)
        first = client.post(
            f"/v1/threads/{thread}/messages", json={"text": "Can I get a refill of my medication?"}
        )
        second = client.post(f"/v1/threads/{thread}/messages", json={"text": "What medications am I taking?"})
        read_events(client, thread, answered)
        third = client.post(f"/v1/threads/{thread}/messages", json={"text": "What medications am I taking?"})
        read_events(client, thread, lambda fs: sum(f.type == "answer" for f in fs) == 2)
    assert first.status_code == 202
    assert second.status_code == 409 and second.json()["error"]["code"] == "turn_in_progress"
    assert third.status_code == 202


def test_a_session_for_a_patient_not_in_the_record_is_404(api_server: ApiServer) -> None:
    with api_server.client(api_server.token("no-such-patient")) as client:
        response = client.post("/v1/sessions")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "patient_not_found"


def test_a_token_for_patient_a_cannot_touch_a_thread_of_patient_c(api_server: ApiServer) -> None:
    patient_a, patient_c = api_server.patient(), api_server.patient()
    with api_server.client(api_server.token(patient_c)) as owner:
        thread = open_session(owner)
        ask(owner, thread, "What medications am I taking?")
    token_a = api_server.token(patient_a)
    with api_server.client(token_a) as intruder:
        read = intruder.get(f"/v1/threads/{thread}")
        write = intruder.post(
            f"/v1/threads/{thread}/messages", json={"text": "What medications am I taking?"}
        )
        stream = intruder.get(f"/v1/threads/{thread}/events")
    with api_server.client() as anonymous:
        stream_by_query = anonymous.get(f"/v1/threads/{thread}/events", params={"access_token": token_a})
    for response in (read, write, stream, stream_by_query):
        assert response.status_code == 403
        assert response.json() == {
            "error": {"code": "forbidden", "message": "This thread belongs to another patient."}
        }
    with api_server.client(api_server.token(patient_c)) as owner:
        events = owner.get(f"/v1/threads/{thread}").json()["events"]
    assert [e["event"]["type"] for e in events] == ["message", "answer"]


def test_an_unknown_thread_is_404(api_server: ApiServer) -> None:
    with api_server.client(api_server.token(api_server.patient())) as client:
        response = client.get("/v1/threads/t-doesnotexist")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "thread_not_found"


def test_the_stream_accepts_the_token_as_access_token_for_eventsource(api_server: ApiServer) -> None:
    token = api_server.token(api_server.patient())
    with api_server.client(token) as client:
        thread = open_session(client)
        client.post(f"/v1/threads/{thread}/messages", json={"text": "What medications am I taking?"})
    with api_server.client() as anonymous:
        frames = read_events(anonymous, thread, has_type("answer"), params={"access_token": token})
    assert frames[-1].type == "answer" and frames[-1].event["thread_id"] == thread


def test_the_demo_mints_tokens_for_sandbox_patients_only(api_server: ApiServer) -> None:
    with api_server.client() as client:
        patients = client.get("/demo/patients").json()
        minted = client.post("/demo/token", json={"patient_id": patients[0]["id"]})
        refused = client.post("/demo/token", json={"patient_id": "not-a-sandbox-patient"})
        page = client.get("/")
    assert len(patients) == len(api_server.cohort_ids)
    assert minted.status_code == 200
    assert api_server.tokens.verify(minted.json()["token"]).patient_id == patients[0]["id"]
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "patient_not_found"
    assert page.status_code == 200 and "/widget/widget.js" in page.text


def test_static_widget_files_are_served(api_server: ApiServer) -> None:
    with httpx.Client(base_url=api_server.url) as client:
        script = client.get("/widget/widget.js")
        style = client.get("/widget/widget.css")
    assert script.status_code == 200 and "EventSource" in script.text
    assert style.status_code == 200 and ".cc-launcher" in style.text


def test_readyz_names_the_failing_part(
    api_settings: Settings, chat_service: ChatService, tmp_path: Path
) -> None:
    settings = api_settings.model_copy(
        update={
            "fhir_url": f"http://127.0.0.1:{free_port()}/fhir",
            "database_url": f"sqlite:///{tmp_path}/r.sqlite3",
        }
    )
    borrowed = Borrowed(
        fhir_gateway(settings), make_engine(settings.sqlalchemy_url, phi_keyring(settings)), chat_service
    )
    app = create_app(settings, services_for=lambda _settings: nullcontext(borrowed))
    with TestClient(app) as client:
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["chroma"] == "ok" and body["checks"]["database"] == "ok"
    assert body["checks"]["fhir"].startswith("FhirUnavailable")
    assert body["error"]["code"] == "not_ready" and body["error"]["message"].startswith("fhir: ")
