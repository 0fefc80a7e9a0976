"""A private PostgreSQL cluster in a scratch folder, so faults can stop and restart it.

The machine's own PostgreSQL serves other tests and must never be restarted by one; this cluster is
ours alone. PostgreSQL refuses to run as root, so as root its programs run as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from carecoord.services import free_port


def _bin_dir() -> Path:
    """The newest installed PostgreSQL's programs (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's initdb is not installed (apt-get install postgresql)")
    return Path(initdb).parent


class PrivatePostgres:
    """One throw-away cluster on a free port: `start`, `stop`, `restart`, `url`."""

    def __init__(self) -> None:
        # Its own top-level scratch folder: the `postgres` user must be able to reach it, and pytest's
        # and mkdtemp's folders are private to root.
        self.root = Path(tempfile.mkdtemp(prefix="carecoord-pg-"))
        self.data = self.root / "pgdata"
        self.sockets = self.root / "pgsock"
        self.port = free_port()
        self.bin = _bin_dir()
        self._as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        """A SQLAlchemy/psycopg URL of the cluster's `postgres` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()[-800:]}")

    def init(self) -> None:
        """Create the cluster (trust authentication, like the machine's own)."""
        self.root.chmod(0o755)
        for folder in (self.data, self.sockets):
            folder.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            owner = pwd.getpwnam("postgres")
            for folder in (self.data, self.sockets):
                os.chown(folder, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.data / "server.log"), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` disconnects clients cleanly, `immediate` is a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, down_s: float = 0.0, mode: str = "fast") -> None:
        """Stop, stay down for `down_s`, start again."""
        self.stop(mode)
        time.sleep(down_s)
        self.start()

    def close(self) -> None:
        """Stop the server if it runs and delete the cluster."""
        try:
            self.stop("immediate")
        except RuntimeError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
