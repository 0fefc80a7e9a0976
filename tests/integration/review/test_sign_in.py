"""Issue 15: clinicians' sign-in: a lock after 5 failures, TOTP once enrolled or when required, audited."""

from __future__ import annotations

import urllib.parse

import pytest
from sqlalchemy import Engine

from carecoord.audit import AuditLog
from carecoord.login_throttle import LoginThrottle
from carecoord.mfa import current_code
from carecoord.sign_in import SignIn, SignInRefused
from carecoord.users import UserStore
from tests.integration.review.conftest import BACKENDS, FAST_BCRYPT

pytestmark = pytest.mark.integration


def _policy(engine: Engine, require_mfa: bool = False) -> SignIn:
    users = UserStore(engine, rounds=FAST_BCRYPT)
    users.add("drsec", "correct horse", "clinician", "Dr. Sec")
    users.add("reader", "reader password", "viewer")
    return SignIn(users, AuditLog(engine), LoginThrottle(engine), require_mfa)


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_thirty_guesses_then_the_right_password_is_still_refused(engine: Engine) -> None:
    sign_in = _policy(engine)
    for attempt in range(30):
        with pytest.raises(SignInRefused) as refused:
            sign_in("drsec", f"guess {attempt}", None, "198.51.100.7")
        expected = "Wrong user name or password." if attempt < 5 else "Too many failed sign-ins"
        assert str(refused.value).startswith(expected)
    with pytest.raises(SignInRefused, match="Too many failed sign-ins"):
        sign_in("drsec", "correct horse", None, "203.0.113.1")  # another address: the account is locked
    actions = [e.action for e in reversed(sign_in.audit.entries(actor="drsec"))]
    assert actions[:5] == ["login_failed"] * 5 and set(actions[5:]) == {"login_locked"} and len(actions) == 31
    assert sign_in("reader", "reader password", None, "203.0.113.1").name == "reader"


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_an_enrolled_user_needs_the_current_code(engine: Engine) -> None:
    sign_in = _policy(engine)
    uri = sign_in.users.enroll_mfa("drsec")
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    for code in (None, "000000"):
        with pytest.raises(SignInRefused, match="authenticator code"):
            sign_in("drsec", "correct horse", code, "10.0.0.1")
    user = sign_in("drsec", "correct horse", current_code(secret), "10.0.0.1")
    assert user.name == "drsec" and user.mfa
    assert sign_in.throttle.failures("drsec") == 0  # a good sign-in clears the count


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_required_mfa_refuses_deciders_who_have_not_enrolled(engine: Engine) -> None:
    sign_in = _policy(engine, require_mfa=True)
    with pytest.raises(SignInRefused, match="carecoord users mfa enroll drsec"):
        sign_in("drsec", "correct horse", None, "10.0.0.1")
    assert sign_in("reader", "reader password", None, "10.0.0.1").role == "viewer"
    assert [e.action for e in sign_in.audit.entries(actor="drsec")] == ["login_refused"]
