"""Issue 15: 5 failed sign-ins in 15 minutes lock the account (or the address) for 15 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from carecoord.login_throttle import LOCK, LoginThrottle
from tests.integration.review.conftest import BACKENDS

pytestmark = pytest.mark.integration
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_five_failures_lock_the_account_for_fifteen_minutes(engine: Engine) -> None:
    throttle = LoginThrottle(engine)
    for i in range(4):
        throttle.failed("drsec", f"10.0.0.{i}", T0 + timedelta(minutes=i))
    assert throttle.locked("drsec", "10.0.0.9", T0 + timedelta(minutes=4)) is None
    throttle.failed("drsec", "10.0.0.4", T0 + timedelta(minutes=4))

    lock = throttle.locked("drsec", "10.0.0.9", T0 + timedelta(minutes=5))
    assert lock is not None and lock.scope == "account" and lock.until == T0 + timedelta(minutes=4) + LOCK
    assert throttle.locked("drlee", "10.0.0.9", T0 + timedelta(minutes=5)) is None
    assert throttle.locked("drsec", "10.0.0.9", T0 + timedelta(minutes=19, seconds=1)) is None


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_one_address_guessing_many_accounts_is_locked(engine: Engine) -> None:
    throttle = LoginThrottle(engine)
    for i in range(5):
        throttle.failed(f"user{i}", "203.0.113.7", T0 + timedelta(seconds=i))
    lock = throttle.locked("drlee", "203.0.113.7", T0 + timedelta(minutes=1))
    assert lock is not None and lock.scope == "address"
    assert throttle.locked("drlee", "198.51.100.1", T0 + timedelta(minutes=1)) is None


def test_failures_spread_over_more_than_the_window_do_not_lock(engine: Engine) -> None:
    throttle = LoginThrottle(engine)
    for i in range(5):
        throttle.failed("drlee", "10.0.0.1", T0 + timedelta(minutes=4 * i))  # 5 failures over 16 minutes
    assert throttle.locked("drlee", "10.0.0.1", T0 + timedelta(minutes=16, seconds=1)) is None
    throttle.succeeded("drlee")
    assert throttle.failures("drlee") == 0
