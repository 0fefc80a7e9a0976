"""Issue 15: patient tokens carry iat, exp and jti, and live no longer than the configured maximum."""

from __future__ import annotations

import time

import jwt
import pytest
from pydantic import ValidationError

from carecoord.settings import Settings
from ui.api.auth import InvalidToken, TokenService

SECRET = "s" * 32
DAY = 86_400


def _signed(**claims: object) -> str:
    return jwt.encode({"iss": "carecoord", "patient": "p1", **claims}, SECRET, "HS256")


def _refusal(token: str, max_lifetime_s: int = DAY) -> InvalidToken:
    with pytest.raises(InvalidToken) as refused:
        TokenService(SECRET, "carecoord", 60, max_lifetime_s).verify(token)
    return refused.value


def test_a_minted_token_names_its_jti_and_lives_its_ttl() -> None:
    tokens = TokenService(SECRET, "carecoord", 60, DAY)
    token = tokens.issue("p1", 3600)
    claims = jwt.decode(token, options={"verify_signature": False})
    principal = tokens.verify(token)
    assert principal.jti == claims["jti"] and len(principal.jti) == 16
    assert claims["exp"] - claims["iat"] == 3600
    assert tokens.verify(tokens.issue("p1")).jti != principal.jti


def test_a_token_living_exactly_the_maximum_is_accepted() -> None:
    now = int(time.time())
    principal = TokenService(SECRET, "carecoord", 60, DAY).verify(
        _signed(iat=now, exp=now + DAY, jti="j-max")
    )
    assert principal.jti == "j-max"


def test_a_token_living_longer_than_the_maximum_is_refused_with_both_lifetimes() -> None:
    now = int(time.time())
    refused = _refusal(_signed(iat=now, exp=now + 2 * DAY, jti="j-long"))
    assert refused.code == "token_lifetime_exceeded"
    assert refused.message == (
        "The token lives 48h, longer than the 24h maximum; ask for a shorter-lived token."
    )


def test_a_backdated_iat_cannot_stretch_a_long_token_under_the_maximum() -> None:
    now = int(time.time())
    refused = _refusal(_signed(iat=now - 3600, exp=now + DAY, jti="j-back"))
    assert refused.code == "token_lifetime_exceeded" and "25h" in refused.message


@pytest.mark.parametrize(
    ("claims", "missing"),
    [
        ({"iat": 0, "jti": "j"}, "exp"),
        ({"exp": 4_102_444_800, "jti": "j"}, "iat"),
        ({"iat": "now", "exp": "later", "jti": "j"}, None),
    ],
    ids=["no-exp", "no-iat", "not-numbers"],
)
def test_a_token_without_exp_or_iat_is_refused_naming_the_claim(
    claims: dict[str, object], missing: str | None
) -> None:
    refused = _refusal(_signed(**claims))
    assert refused.code == "token_invalid"
    if missing:
        assert (
            refused.message
            == f"The token has no '{missing}' claim; tokens need iss, patient, iat, exp and jti."
        )


def test_a_token_without_jti_is_refused_because_it_could_not_be_revoked() -> None:
    now = int(time.time())
    refused = _refusal(_signed(iat=now, exp=now + 60))
    assert refused.code == "token_invalid"
    assert refused.message == "The token has no 'jti' claim; tokens need iss, patient, iat, exp and jti."


def test_issue_refuses_a_ttl_over_the_maximum() -> None:
    with pytest.raises(ValueError, match="a 48h token exceeds the 24h maximum"):
        TokenService(SECRET, "carecoord", 60, DAY).issue("p1", 2 * DAY)


def test_settings_refuse_a_default_ttl_the_api_would_refuse() -> None:
    assert Settings().token_max_lifetime_s == DAY
    with pytest.raises(ValidationError, match="CARECOORD_JWT_TTL_S=7200 exceeds"):
        Settings(jwt_ttl_s=7200, token_max_lifetime_s=3600)


def test_the_maximum_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECOORD_TOKEN_MAX_LIFETIME_S", "7200")
    monkeypatch.setenv("CARECOORD_JWT_SECRET", SECRET)
    tokens = TokenService.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    assert tokens.max_lifetime_s == 7200
