"""Wake-ups over Redis pub/sub, when a Redis URL is configured (one channel for every thread)."""

from __future__ import annotations

import threading

import redis

from carecoord.wakeups.shared import Receive, SharedWakeups

CHANNEL = "carecoord:wakeups"
TIMEOUT_S = 2.0


class RedisWakeups(SharedWakeups):
    """Publishes with the client; a listener thread subscribes to the channel."""

    name = "redis"

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        super().__init__()
        self.channel = channel
        self._client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)

    def _send(self, payload: str) -> None:
        self._client.publish(self.channel, payload)

    def _listen(self, stop: threading.Event, receive: Receive) -> None:
        pubsub = self._client.pubsub()
        try:
            pubsub.subscribe(self.channel)
            while not stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                if message.get("type") == "subscribe":  # confirmed: what is published from now on arrives
                    self.listening.set()
                elif message.get("type") == "message" and isinstance(message.get("data"), bytes):
                    receive(message["data"].decode())
        finally:
            pubsub.close()

    def _failures(self) -> tuple[type[Exception], ...]:
        return (redis.RedisError, OSError)

    def close(self) -> None:
        """Stop the listener and the client's connections."""
        super().close()
        self._client.close()
