"""The load generator, run as its own process by `evals.load`: patients who arrive and think.

Sessions arrive as a Poisson process (exponential gaps, mean `arrival_s / sessions`); each patient opens
a session, follows its SSE stream and sends `turns` messages, waiting for each answer and then a think
time drawn uniformly from `think` seconds before the next, as a person reading the answer would.
Every message is distinct (`evals.messages`), so no answer comes from a warm cache. Time to answer is
from `POST /messages` to the `answer` event. Prints one JSON object (`ClientResult`) on stdout.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field

import httpx

from evals.messages import unseen_messages

TURN_TIMEOUT_S = 180.0


@dataclass
class ClientResult:
    """What the client saw."""

    latencies_s: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0

    def error(self, kind: str) -> None:
        """Count one error of a kind."""
        self.errors[kind] = self.errors.get(kind, 0) + 1


@dataclass(frozen=True)
class Plan:
    """The traffic to generate."""

    url: str
    tokens: list[str]
    turns: int
    think: tuple[float, float]
    arrival_s: float
    seed: int


async def _frames(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, object]]]:
    """(type, data) of each SSE frame."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        elif "data" in fields:
            yield fields.get("event", "message"), json.loads(fields["data"])
            fields = {}
        else:
            fields = {}


async def _patient(
    client: httpx.AsyncClient,
    token: str,
    messages: list[str],
    plan: Plan,
    rng: random.Random,
    out: ClientResult,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    opened = await client.post("/v1/sessions", headers=headers)
    if opened.status_code != 201:
        out.error(f"session {opened.status_code}")
        return
    thread = opened.json()["thread_id"]
    finished: asyncio.Queue[str] = asyncio.Queue()

    async def follow() -> None:
        timeout = httpx.Timeout(None, connect=30.0)
        async with client.stream(
            "GET", f"/v1/threads/{thread}/events", headers=headers, timeout=timeout
        ) as r:
            async for kind, _ in _frames(r):
                if kind in ("answer", "error"):
                    await finished.put(kind)

    reader = asyncio.create_task(follow())
    try:
        for n, text in enumerate(messages):
            if n:
                await asyncio.sleep(rng.uniform(*plan.think))
            started = time.perf_counter()
            sent = await client.post(f"/v1/threads/{thread}/messages", headers=headers, json={"text": text})
            if sent.status_code != 202:
                out.error(f"message {sent.status_code}")
                continue
            try:
                kind = await asyncio.wait_for(finished.get(), TURN_TIMEOUT_S)
            except TimeoutError:
                out.error("timeout")
                return
            if kind == "error":
                out.error("error event")
            else:
                out.latencies_s.append(time.perf_counter() - started)
    except httpx.HTTPError as exc:
        out.error(type(exc).__name__)
    finally:
        reader.cancel()


async def run(plan: Plan) -> ClientResult:
    """Generate the traffic and collect the answers."""
    out = ClientResult()
    rng = random.Random(plan.seed)
    sessions = len(plan.tokens)
    texts = unseen_messages(sessions * plan.turns, seed=plan.seed)
    limits = httpx.Limits(max_connections=sessions * 2 + 10, max_keepalive_connections=sessions * 2)
    rate = sessions / plan.arrival_s if plan.arrival_s > 0 else float("inf")
    async with httpx.AsyncClient(base_url=plan.url, timeout=60.0, limits=limits) as client:
        started = time.perf_counter()
        tasks = []
        for i, token in enumerate(plan.tokens):
            if i and rate != float("inf"):
                await asyncio.sleep(rng.expovariate(rate))
            messages = texts[i * plan.turns : (i + 1) * plan.turns]
            patient_rng = random.Random(rng.random())
            tasks.append(asyncio.create_task(_patient(client, token, messages, plan, patient_rng, out)))
        await asyncio.gather(*tasks)
        out.wall_s = time.perf_counter() - started
    return out


def main() -> None:
    """Read a `Plan` as JSON on stdin, print a `ClientResult` as JSON."""
    data = json.loads(sys.stdin.read())
    plan = Plan(**{**data, "think": tuple(data["think"])})
    print(json.dumps(asdict(asyncio.run(run(plan)))))


if __name__ == "__main__":
    main()
