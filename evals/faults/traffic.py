"""Patients for the soak run: concurrent sessions that chat, follow their streams and count everything.

A session survives faults the way the widget does: it reconnects its stream with `Last-Event-ID`,
waits out a 409 (a turn still running) and backs off on a 503.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

QUESTIONS = (
    "When is my next appointment?",
    "What medications am I taking?",
    "What should I do if I miss a dose?",
    "Can I get a refill of my metformin?",
    "What were my latest lab results?",
    "I've had a mild headache for three days.",
    "What is my care plan?",
    "How should I store insulin?",
    "Thanks, that's all for now.",
)
"""A mix that exercises the record, the knowledge index, drafted actions and escalations."""
TURN_TIMEOUT_S = 90.0


@dataclass
class Tally:
    """What the patients saw."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    escalations: set[str] = field(default_factory=set)
    """Ids of escalations announced to patients on their streams."""
    recovered: int = 0
    """Answers to interrupted turns, finished from their checkpoint on the next message."""
    stream_breaks: int = 0


async def _frames(response: httpx.Response) -> AsyncIterator[tuple[int, str, dict[str, Any]]]:
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        elif "data" in fields:
            yield int(fields.get("id", "0")), fields.get("event", ""), json.loads(fields["data"])
            fields = {}
        else:
            fields = {}


class Patient:
    """One patient session: a stream follower and a turn loop."""

    def __init__(self, client: httpx.AsyncClient, token: str, seed: int, tally: Tally) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.random = random.Random(seed)
        self.tally = tally
        self.thread = ""
        self.last_id = 0
        self.closing: asyncio.Queue[str] = asyncio.Queue()

    async def _open(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            try:
                opened = await self.client.post("/v1/sessions", headers=self.headers)
            except httpx.HTTPError as exc:
                self.tally.errors[f"session {type(exc).__name__}"] += 1
                await asyncio.sleep(1.0)
                continue
            if opened.status_code == 201:
                self.thread = opened.json()["thread_id"]
                return True
            self.tally.errors[f"session {opened.status_code} {_code(opened)}"] += 1
            await asyncio.sleep(1.0)
        return False

    async def _follow(self) -> None:
        """Follow the stream forever, reconnecting after the last id it saw."""
        url = f"/v1/threads/{self.thread}/events"
        while True:
            headers = {**self.headers, "Last-Event-ID": str(self.last_id)}
            try:
                timeout = httpx.Timeout(None, connect=10.0)
                async with self.client.stream("GET", url, headers=headers, timeout=timeout) as response:
                    if response.status_code != 200:
                        await asyncio.sleep(1.0)
                        continue
                    async for event_id, kind, data in _frames(response):
                        self.last_id = max(self.last_id, event_id)
                        await self._on_frame(kind, data["event"])
            except httpx.HTTPError:
                self.tally.stream_breaks += 1
            await asyncio.sleep(0.5)

    async def _on_frame(self, kind: str, event: dict[str, Any]) -> None:
        if kind == "escalation":
            self.tally.escalations.add(str(event["id"]))
        elif kind == "answer" and event.get("recovered"):
            self.tally.recovered += 1
        elif kind == "answer":
            await self.closing.put("answer")
        elif kind == "error":
            await self.closing.put(f"error event {event.get('code')}")

    async def _turn(self, text: str) -> None:
        started = time.perf_counter()
        while True:
            try:
                sent = await self.client.post(
                    f"/v1/threads/{self.thread}/messages", headers=self.headers, json={"text": text}
                )
            except httpx.HTTPError as exc:
                self.tally.errors[f"message {type(exc).__name__}"] += 1
                await asyncio.sleep(1.0)
                return
            if sent.status_code == 409:  # an interrupted turn still holds the thread: wait for its lease
                self.tally.errors["message 409 turn_in_progress"] += 1
                await asyncio.sleep(2.0)
                continue
            if sent.status_code != 202:
                self.tally.errors[f"message {sent.status_code} {_code(sent)}"] += 1
                await asyncio.sleep(1.0)
                return
            break
        try:
            outcome = await asyncio.wait_for(self.closing.get(), TURN_TIMEOUT_S)
        except TimeoutError:
            self.tally.errors["turn timeout"] += 1
            return
        if outcome == "answer":
            self.tally.latencies.append(time.perf_counter() - started)
        else:
            self.tally.errors[outcome] += 1

    async def run(self, deadline: float) -> None:
        """Chat until the deadline, one turn after another with a short pause."""
        if not await self._open(deadline):
            return
        follower = asyncio.create_task(self._follow())
        try:
            while time.monotonic() < deadline:
                await self._turn(self.random.choice(QUESTIONS))
                await asyncio.sleep(self.random.uniform(0.5, 1.5))
        finally:
            follower.cancel()


def _code(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


async def run_patients(url: str, tokens: list[str], seconds: float) -> Tally:
    """Run one session per token for `seconds`."""
    tally = Tally()
    limits = httpx.Limits(max_connections=len(tokens) * 3 + 10, max_keepalive_connections=len(tokens) * 2)
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) as client:
        patients = [Patient(client, token, seed, tally) for seed, token in enumerate(tokens)]
        await asyncio.gather(*(patient.run(deadline) for patient in patients))
    return tally
