"""CPU time and resident memory of processes, read from /proc (Linux), for the benchmarks.

The benches report CPU per turn, not only wall time: on a shared 2-core machine wall time says as much
about the neighbours as about us, while CPU seconds spent by our own processes do not.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_mb(pid: int) -> float:
    """Resident set size in MB (0.0 once the process is gone)."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * _PAGE / 1e6


def children(pid: int) -> list[int]:
    """Direct child processes (uvicorn's workers under `carecoord serve --workers N`)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(entry.name))
    return sorted(found)


def total_cpu(pids: Iterable[int]) -> float:
    """CPU seconds of several processes together."""
    return sum(cpu_seconds(pid) for pid in pids)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (workers, their helpers)."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        below = [child for parent in frontier for child in children(parent)]
        found.extend(below)
        frontier = below
    return found


class CpuMeter:
    """CPU seconds used by a process tree over an interval, counting processes that start or exit in it.

    A worker that dies mid-run (or is replaced) takes its counters with it, so the tree is sampled
    every `interval_s` and each process's last reading is kept.
    """

    def __init__(self, root: int, interval_s: float = 1.0) -> None:
        self.root = root
        self.interval_s = interval_s
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for pid in (self.root, *descendants(self.root)):
            seconds = cpu_seconds(pid)
            if seconds > 0:
                self._first.setdefault(pid, seconds)
                self._last[pid] = seconds

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def start(self) -> CpuMeter:
        """Take the first reading and keep sampling in the background."""
        self._sample()
        self._thread.start()
        return self

    def stop(self) -> float:
        """Stop sampling; CPU seconds used since `start` (from 0 for processes born since)."""
        self._stop.set()
        self._thread.join()
        first = dict(self._first)
        self._sample()
        return sum(self._last[pid] - first.get(pid, 0.0) for pid in self._last)
