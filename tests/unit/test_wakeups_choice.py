"""Which wake-up channel a process gets: Redis when configured, PostgreSQL NOTIFY on PostgreSQL, else local."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecoord.settings import Settings
from carecoord.wakeups.base import LocalWakeups
from carecoord.wakeups.postgres import PostgresWakeups, libpq_url
from carecoord.wakeups.redis import RedisWakeups
from carecoord.wakeups.shared import decode, encode
from carecoord.wiring import wakeups


@pytest.mark.parametrize(
    ("database_url", "redis_url", "expected"),
    [
        (None, None, LocalWakeups),
        (None, "redis://127.0.0.1:6379/0", RedisWakeups),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/cc", None, PostgresWakeups),
        ("postgresql://postgres@127.0.0.1:5432/cc", "redis://127.0.0.1:6379/0", RedisWakeups),
    ],
    ids=["sqlite", "redis", "postgres", "both-prefers-redis"],
)
def test_the_channel_follows_the_settings(
    tmp_path: Path, database_url: str | None, redis_url: str | None, expected: type
) -> None:
    channel = wakeups(Settings(data_dir=tmp_path, database_url=database_url, redis_url=redis_url))
    try:
        assert type(channel) is expected
    finally:
        channel.close()


def test_a_sqlalchemy_url_reaches_libpq_without_its_driver_and_keeps_its_options() -> None:
    url = libpq_url("postgresql+psycopg://postgres:pw@127.0.0.1:5432/cc?options=-csearch_path%3Dx")
    assert url == "postgresql://postgres:pw@127.0.0.1:5432/cc?options=-csearch_path%3Dx"


@pytest.mark.parametrize("payload", ["", "event", "event origin", "shout origin t-1", "decision  t-1"])
def test_broker_messages_that_are_not_wake_ups_are_ignored(payload: str) -> None:
    assert decode(payload) is None


def test_a_wake_up_survives_the_broker_round_trip() -> None:
    assert decode(encode("o-1", "t-1", "decision")) == ("o-1", "t-1", "decision")
    assert decode(encode("o-1", "t-1", "event")) == ("o-1", "t-1", "event")
