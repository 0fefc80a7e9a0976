"""Wake-ups over PostgreSQL LISTEN/NOTIFY: the scale-out mode's database is the channel."""

from __future__ import annotations

import threading

import psycopg
from sqlalchemy.engine import make_url

from carecoord.wakeups.shared import Receive, SharedWakeups

CHANNEL = "carecoord_wakeups"
CONNECT_TIMEOUT_S = 2


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://...`) as libpq takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresWakeups(SharedWakeups):
    """`pg_notify` on one autocommit connection; a listener thread LISTENs on another."""

    name = "postgres"

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        super().__init__()
        self.url = libpq_url(url)
        self.channel = channel
        self._send_lock = threading.Lock()
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)

    def _send(self, payload: str) -> None:
        with self._send_lock:
            try:
                if self._connection is None or self._connection.closed:
                    self._connection = self._connect()
                self._connection.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))
            except psycopg.Error:
                if self._connection is not None:
                    self._connection.close()
                self._connection = None
                raise

    def _listen(self, stop: threading.Event, receive: Receive) -> None:
        with self._connect() as connection:
            connection.execute(f'LISTEN "{self.channel}"')
            self.listening.set()
            while not stop.is_set():
                for note in connection.notifies(timeout=1.0):
                    receive(note.payload)

    def _failures(self) -> tuple[type[Exception], ...]:
        return (psycopg.Error, OSError)

    def close(self) -> None:
        """Stop the listener and close the sending connection."""
        super().close()
        with self._send_lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
