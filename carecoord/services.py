"""Background services for `carecoord up` / `down`: detached processes with pid files and logs.

Each service is one `carecoord …` command (or, for the Chroma server, the `chroma` command beside it).
`up` is idempotent: a service that already answers is left alone, so running `make demo` twice is
fast and starts nothing twice.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

OUR_PROGRAMS = ("carecoord", "chroma", "streamlit")
"""What a recorded pid's command line must mention to be stopped (`carecoord console` execs Streamlit)."""


@dataclass(frozen=True)
class Service:
    """A long-running command and the URL that says it is up."""

    name: str
    args: tuple[str, ...]
    health_url: str
    public_url: str
    program: tuple[str, ...] = (sys.executable, "-m", "carecoord")
    """What runs `args`: the CareCoord CLI unless a service says otherwise."""


def free_port() -> int:
    """A TCP port nobody listens on right now (benchmarks and tests run beside other servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_dir(data_dir: Path) -> Path:
    """Where pid files and logs live."""
    return data_dir / "run"


def answers(url: str, timeout_s: float = 2.0) -> bool:
    """Whether `url` answers with a non-5xx status."""
    try:
        return httpx.get(url, timeout=timeout_s).status_code < 500
    except httpx.HTTPError:
        return False


def start(service: Service, data_dir: Path, env: dict[str, str], timeout_s: float = 120.0) -> str:
    """Start `service` detached unless it already answers; returns "running" or "started"."""
    if answers(service.health_url):
        return "running"
    folder = run_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / f"{service.name}.log").open("ab")
    process = subprocess.Popen(
        [*service.program, *service.args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
        start_new_session=True,
    )
    (folder / f"{service.name}.pid").write_text(str(process.pid))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if answers(service.health_url, timeout_s=1.0):
            return "started"
        if process.poll() is not None:
            raise RuntimeError(
                f"{service.name} exited with code {process.returncode}; see {folder / service.name}.log"
            )
        time.sleep(0.5)
    raise TimeoutError(f"{service.name} did not answer at {service.health_url} within {timeout_s:.0f}s")


def stop(name: str, data_dir: Path) -> bool:
    """Stop a service started by `start` (its whole process group); False when none was recorded."""
    pid_file = run_dir(data_dir) / f"{name}.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().strip() or 0)
    pid_file.unlink()
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    if not any(marker in cmdline for marker in OUR_PROGRAMS):
        return False  # the pid was reused by something that is not ours
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True
