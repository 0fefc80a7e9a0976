"""The scale-out stack for fault tests: a private PostgreSQL, a Chroma server, 2 API workers, a sandbox.

One per test module (it takes ~50 s to start). The PostgreSQL is a cluster of its own, so restarting
it never disturbs the machine's PostgreSQL that other tests use.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from evals.faults.postgres import PrivatePostgres
from evals.faults.stack import FaultStack, StackConfig
from tests.fixtures.agent import VECTOR_CACHE
from tests.fixtures.api import Frame
from tests.fixtures.knowledge import VECTOR_CACHE as CHUNK_VECTORS
from tools.sandbox.cohort import build_cohort
from ui.api.auth import TokenService

PATIENTS = 12


@dataclass
class Cluster:
    """The running stack, its database, and helpers to talk to it as patients."""

    stack: FaultStack
    postgres: PrivatePostgres
    patient_ids: list[str]
    used: set[str] = field(default_factory=set)

    def patient(self) -> str:
        """A cohort patient no other test of the module has used."""
        chosen = next(p for p in self.patient_ids if p not in self.used)
        self.used.add(chosen)
        return chosen

    def client(self, patient_id: str) -> httpx.Client:
        """A client holding the patient's token."""
        token = TokenService.from_settings(self.stack.settings).issue(patient_id)
        return httpx.Client(
            base_url=self.stack.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
        )

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `carecoord …` against the stack's stores."""
        return subprocess.run(
            [sys.executable, "-m", "carecoord", *args],
            env=self.stack.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def review_items(self, patient_id: str) -> list[dict[str, Any]]:
        """The patient's review items, read through the review CLI."""
        result = self.cli("review", "list", "--patient", patient_id, "--json")
        assert result.returncode == 0, result.stderr
        items: list[dict[str, Any]] = json.loads(result.stdout)
        return items

    def wait_for_log(self, pattern: str, timeout_s: float = 30.0) -> re.Match[str]:
        """The first API log line matching `pattern`, waiting for it to be written."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = re.search(pattern, self.stack.log("api"))
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no API log line matched {pattern!r} within {timeout_s} s")


def start_cluster(root: Path, extra_env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """Start the private PostgreSQL and the stack (with `extra_env` for its processes); stop both after."""
    postgres = PrivatePostgres()
    postgres.init()
    postgres.start()
    config = StackConfig(
        root=root,
        database_url=postgres.url,
        patients=PATIENTS,
        vector_cache=VECTOR_CACHE,
        chunk_vectors=CHUNK_VECTORS,
        extra_env=extra_env or {},
    )
    stack = FaultStack(config)
    try:
        stack.start()
        patients = [p.id for p in build_cohort(patients=PATIENTS, seed=7).patients]
        yield Cluster(stack=stack, postgres=postgres, patient_ids=patients)
    finally:
        stack.close()
        postgres.close()


class StreamWatcher:
    """Follows a thread's SSE stream in a background thread, reconnecting with `Last-Event-ID`.

    Records every frame, and every time the connection broke (a worker died under it).
    """

    def __init__(self, client: httpx.Client, thread_id: str) -> None:
        self.client = client
        self.thread_id = thread_id
        self.frames: list[Frame] = []
        self.breaks: list[str] = []
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        while not self._stop.is_set():
            last = self.frames[-1].id if self.frames else 0
            try:
                self._read(last)
            except httpx.HTTPError as exc:
                self.breaks.append(type(exc).__name__)
                time.sleep(0.5)

    def _read(self, last: int) -> None:
        headers = {"Last-Event-ID": str(last)}
        timeout = httpx.Timeout(5.0, read=3.0)
        fields: dict[str, str] = {}
        url = f"/v1/threads/{self.thread_id}/events"
        try:
            with self.client.stream("GET", url, headers=headers, timeout=timeout) as response:
                self.statuses.append(response.status_code)
                if response.status_code != 200:
                    time.sleep(0.5)
                    return
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line:
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
                        continue
                    if "data" in fields:
                        data = json.loads(fields["data"])
                        self.frames.append(Frame(int(fields["id"]), fields["event"], data))
                    fields = {}
        except httpx.ReadTimeout:
            return  # an idle stream: reconnect (the server sends keep-alives only every 15 s)

    def wait_for(self, kind: str, count: int = 1, timeout_s: float = 60.0) -> list[Frame]:
        """Frames of `kind` once `count` of them arrived."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [frame for frame in self.frames if frame.type == kind]
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{count} '{kind}' frame(s) did not arrive; got {[f.type for f in self.frames]}")

    def close(self) -> None:
        """Stop following."""
        self._stop.set()
        self._thread.join(timeout=10)
