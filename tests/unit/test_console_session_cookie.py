"""Issue 15: the console's signed session value, its one-time handoff and the cookie route."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from ui.console.cookie_routes import END_PATH, SESSION_PATH, routes
from ui.console.session_cookie import COOKIE, HANDOFFS, Handoffs, SessionSigner

SECRET = b"k" * 32
NOW = 1_900_000_000.0


def test_a_signed_session_verifies_until_it_expires() -> None:
    signer = SessionSigner(SECRET, 8 * 3600)
    value, claims = signer.sign("drlee", now=NOW)
    assert claims.user == "drlee" and claims.expires == int(NOW) + 8 * 3600 and len(claims.sid) == 32
    assert signer.verify(value, now=NOW + 8 * 3600 - 1) == claims
    assert signer.verify(value, now=NOW + 8 * 3600) is None
    assert signer.sign("drlee", now=NOW)[1].sid != claims.sid


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v.replace(v.split(".")[1], "YWRtaW4"),  # another user ("admin")
        lambda v: ".".join([*v.split(".")[:3], str(int(v.split(".")[3]) + 3600), v.split(".")[4]]),  # later
        lambda v: v[:-1] + ("0" if v[-1] != "0" else "1"),  # the MAC
        lambda v: "v2" + v[2:],
        lambda v: v + ".x",
        lambda v: "",
    ],
    ids=["user", "expiry", "mac", "version", "extra-part", "empty"],
)
def test_a_tampered_session_is_refused(tamper: object) -> None:
    signer = SessionSigner(SECRET, 3600)
    value, _ = signer.sign("drlee", now=NOW)
    assert signer.verify(tamper(value), now=NOW) is None  # type: ignore[operator]


def test_another_secret_refuses_the_session_and_short_secrets_are_refused() -> None:
    value, _ = SessionSigner(SECRET, 3600).sign("drlee", now=NOW)
    assert SessionSigner(b"j" * 32, 3600).verify(value, now=NOW) is None
    with pytest.raises(ValueError, match="at least 32 bytes"):
        SessionSigner(b"short", 3600)


def test_a_handoff_is_collected_once() -> None:
    handoffs = Handoffs()
    nonce = handoffs.put("value", 60)
    handoff = handoffs.take(nonce)
    assert handoff is not None and (handoff.value, handoff.max_age) == ("value", 60)
    assert handoffs.take(nonce) is None
    assert handoffs.take("guess") is None


def test_the_route_sets_an_httponly_strict_cookie_for_a_nonce_once_and_clears_it() -> None:
    client = TestClient(Starlette(routes=routes))
    nonce = HANDOFFS.put("v1.signed", 3600)
    response = client.post(SESSION_PATH, content=nonce)
    assert response.status_code == 204
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE}=v1.signed;")
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie and "Max-Age=3600" in set_cookie
    assert "Path=/" in set_cookie and "Secure" not in set_cookie  # plain http on loopback
    replayed = client.post(SESSION_PATH, content=nonce)
    assert replayed.status_code == 403 and "set-cookie" not in replayed.headers
    https = TestClient(Starlette(routes=routes), base_url="https://console.clinic.test")
    assert "Secure" in https.post(SESSION_PATH, content=HANDOFFS.put("v1.x", 60)).headers["set-cookie"]
    cleared = client.post(END_PATH)
    assert cleared.status_code == 204 and cleared.headers["set-cookie"].startswith(f'{COOKIE}=""; ')
    assert "Max-Age=0" in cleared.headers["set-cookie"]
