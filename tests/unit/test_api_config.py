"""API configuration: demo secrets only in demo mode, token lifetimes, the demo switched off."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from carecoord.settings import DEMO_JWT_SECRET, DEMO_TRANSCRIPT_KEY, Settings
from ui.api.app import check_settings, create_app
from ui.api.auth import InvalidToken, TokenConfigError, TokenService, parse_ttl

REAL_KEY = base64.b64encode(b"k" * 32).decode()


def test_demo_mode_fills_the_demo_secrets() -> None:
    settings = Settings(demo_mode=True)
    assert settings.jwt_secret is not None and settings.jwt_secret.get_secret_value() == DEMO_JWT_SECRET
    assert settings.transcript_keys["demo"].get_secret_value() == DEMO_TRANSCRIPT_KEY
    check_settings(settings)


def test_settings_switched_to_demo_mode_get_the_demo_secrets_and_keep_the_rest(tmp_path: Path) -> None:
    """`carecoord up --demo` switches its own settings: its process opens sealed stores too."""
    real_key = base64.b64encode(bytes(32)).decode()
    configured = Settings(data_dir=tmp_path, transcript_keys={"k1": real_key})  # type: ignore[dict-item]
    bare = Settings(data_dir=tmp_path)
    assert not bare.transcript_keys and bare.jwt_secret is None
    switched = bare.in_demo_mode()
    assert switched.demo_mode and switched.data_dir == tmp_path
    assert switched.transcript_keys["demo"].get_secret_value() == DEMO_TRANSCRIPT_KEY
    assert switched.jwt_secret is not None
    kept = configured.in_demo_mode()
    assert {k: v.get_secret_value() for k, v in kept.transcript_keys.items()} == {"k1": real_key}


@pytest.mark.parametrize(
    "values",
    [{"jwt_secret": DEMO_JWT_SECRET}, {"transcript_keys": {"demo": DEMO_TRANSCRIPT_KEY}}],
    ids=["jwt", "transcript-key"],
)
def test_the_demo_secrets_are_refused_outside_demo_mode(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="demo"):
        Settings(demo_mode=False, **values)  # type: ignore[arg-type]


def test_the_api_will_not_start_without_secrets_outside_demo_mode() -> None:
    with pytest.raises(TokenConfigError, match="CARECOORD_JWT_SECRET"):
        check_settings(Settings(demo_mode=False))
    with pytest.raises(ValueError, match="no transcript keys"):
        check_settings(Settings(demo_mode=False, jwt_secret=SecretStr("x" * 32)))
    check_settings(
        Settings(
            demo_mode=False,
            jwt_secret=SecretStr("x" * 32),
            transcript_keys={"2026-01": SecretStr(REAL_KEY)},
            transcript_key_id="2026-01",
        )
    )


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172800)]
)
def test_parse_ttl(text: str, seconds: int) -> None:
    assert parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "1w", "-1h", "soon"])
def test_parse_ttl_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_ttl(text)


def test_tokens_round_trip_and_bind_the_patient() -> None:
    tokens = TokenService("s" * 32, "carecoord", 60)
    principal = tokens.verify(tokens.issue("patient-7"))
    assert principal.patient_id == "patient-7"
    with pytest.raises(InvalidToken) as refused:
        TokenService("t" * 32, "carecoord", 60).verify(tokens.issue("patient-7"))
    assert refused.value.code == "token_invalid"


def test_the_demo_routes_are_off_outside_demo_mode() -> None:
    settings = Settings(
        demo_mode=False,
        jwt_secret=SecretStr("x" * 32),
        transcript_keys={"k": SecretStr(REAL_KEY)},
        transcript_key_id="k",
    )
    client = TestClient(create_app(settings))  # no lifespan: the demo guard answers before any service
    patients = client.get("/demo/patients")
    token = client.post("/demo/token", json={"patient_id": "p1"})
    assert patients.status_code == 404 and patients.json()["error"]["code"] == "demo_mode_off"
    assert token.status_code == 404 and token.json()["error"]["code"] == "demo_mode_off"
    assert client.get("/").json() == {"service": "CareCoord patient API", "docs": "/docs"}


def test_responses_carry_security_headers_and_the_demo_page_a_csp() -> None:
    client = TestClient(create_app(Settings(demo_mode=True)))  # no lifespan: static and demo page only
    for path in ("/", "/widget/widget.js", "/healthz"):
        response = client.get(path)
        assert response.headers["cache-control"] == "no-store", path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    page = client.get("/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self' 'sha256-" in policy
    assert "frame-ancestors 'none'" in policy
