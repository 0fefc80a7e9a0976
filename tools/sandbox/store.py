"""The sandbox's SQLite store: current versions, their history, and the search index.

One connection guarded by a lock (FastAPI runs sync endpoints on a thread pool), WAL so a process crash
never loses a committed write, and one transaction per write, so a rejected request leaves the
store exactly as it was. A bundle runs all of its writes inside one `transaction()`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.sandbox import compound, search_sql
from tools.sandbox.indexing import index_rows
from tools.sandbox.outcome import NotFound, PreconditionFailed
from tools.sandbox.records import Create, Resource, SearchPage, StoredResource, WriteOp, WriteResult
from tools.sandbox.registry import RESOURCES
from tools.sandbox.search import SearchQuery

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    seq INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    body TEXT NOT NULL CHECK (json_valid(body)),
    UNIQUE (type, id)
);
CREATE TABLE IF NOT EXISTS history (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    body TEXT NOT NULL CHECK (json_valid(body)),
    PRIMARY KEY (type, id, version)
);
CREATE TABLE IF NOT EXISTS search_index (
    res INTEGER NOT NULL REFERENCES resources (seq),
    type TEXT NOT NULL,
    param TEXT NOT NULL,
    system TEXT,
    code TEXT,
    text TEXT,
    lo TEXT,
    hi TEXT
);
CREATE INDEX IF NOT EXISTS search_index_code ON search_index (type, param, code);
CREATE INDEX IF NOT EXISTS search_index_text ON search_index (type, param, text);
CREATE INDEX IF NOT EXISTS search_index_lo ON search_index (type, param, lo);
CREATE INDEX IF NOT EXISTS search_index_res ON search_index (res, param);
CREATE TABLE IF NOT EXISTS compound_index (
    res INTEGER NOT NULL REFERENCES resources (seq),
    name TEXT NOT NULL,
    k1 TEXT NOT NULL,
    k2 TEXT NOT NULL,
    sort_asc TEXT NOT NULL,
    sort_desc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS compound_index_asc ON compound_index (name, k1, k2, sort_asc, res);
CREATE INDEX IF NOT EXISTS compound_index_desc ON compound_index (name, k1, k2, sort_desc DESC, res);
CREATE INDEX IF NOT EXISTS compound_index_res ON compound_index (res);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _registry_fingerprint() -> str:
    """Changes whenever a search parameter is added or redefined, so old rows get re-indexed."""
    shape = sorted(
        (spec.type, p.name, p.kind, p.paths, p.targets)
        for spec in RESOURCES.values()
        for p in spec.params.values()
    )
    return hashlib.sha256(repr((shape, compound.iter_names())).encode()).hexdigest()


def _stored(row: sqlite3.Row | tuple[Any, ...]) -> StoredResource:
    return StoredResource(row[0], row[1], int(row[2]), row[3], json.loads(row[4]))


class Writer:
    """Writes inside one open transaction; obtained from `FhirStore.transaction()`."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def find(self, query: SearchQuery, limit: int) -> list[StoredResource]:
        """Up to `limit` matches of `query` (ignoring its paging)."""
        where = search_sql.where(query)
        rows = self._db.execute(
            f"SELECT r.type, r.id, r.version, r.last_updated, r.body FROM resources r WHERE {where.text} "
            "ORDER BY r.seq LIMIT ?",
            (*where.params, limit),
        ).fetchall()
        return [_stored(row) for row in rows]

    def write(self, op: WriteOp) -> WriteResult:
        """Apply one create or update."""
        if isinstance(op, Create):
            if op.if_none_exist is not None:
                matches = self.find(op.if_none_exist, limit=2)
                if len(matches) > 1:
                    raise PreconditionFailed(
                        "If-None-Exist matches more than one resource; nothing was created"
                    )
                if matches:
                    return WriteResult(matches[0], created=False, written=False)
            return self._put(str(op.resource["resourceType"]), op.id, op.resource)
        if op.if_match is not None:
            row = self._db.execute(
                "SELECT version FROM resources WHERE type = ? AND id = ?", (op.resource_type, op.id)
            ).fetchone()
            if row is None or int(row[0]) != op.if_match:
                found = "does not exist" if row is None else f"is at version {row[0]}"
                raise PreconditionFailed(
                    f"{op.resource_type}/{op.id} {found}, not version {op.if_match} (If-Match); nothing was written"
                )
        return self._put(op.resource_type, op.id, op.resource)

    def _put(self, resource_type: str, resource_id: str, resource: Mapping[str, Any]) -> WriteResult:
        row = self._db.execute(
            "SELECT seq, version FROM resources WHERE type = ? AND id = ?", (resource_type, resource_id)
        ).fetchone()
        version = 1 if row is None else int(row[1]) + 1
        last_updated = _now()
        meta = {**(resource.get("meta") or {}), "versionId": str(version), "lastUpdated": last_updated}
        rest = {k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")}
        body: Resource = {"resourceType": resource_type, "id": resource_id, "meta": meta, **rest}
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        if row is None:
            cursor = self._db.execute(
                "INSERT INTO resources (type, id, version, last_updated, body) VALUES (?, ?, ?, ?, ?)",
                (resource_type, resource_id, version, last_updated, text),
            )
            assert cursor.lastrowid is not None, "an INSERT into a rowid table always yields its rowid"
            seq = cursor.lastrowid
        else:
            seq = int(row[0])
            self._db.execute(
                "UPDATE resources SET version = ?, last_updated = ?, body = ? WHERE seq = ?",
                (version, last_updated, text, seq),
            )
        self._db.execute(
            "INSERT INTO history (type, id, version, last_updated, body) VALUES (?, ?, ?, ?, ?)",
            (resource_type, resource_id, version, last_updated, text),
        )
        self._index(seq, resource_type, body)
        stored = StoredResource(resource_type, resource_id, version, last_updated, body)
        return WriteResult(stored, created=row is None)

    def _index(self, seq: int, resource_type: str, body: Mapping[str, Any]) -> None:
        self._db.execute("DELETE FROM search_index WHERE res = ?", (seq,))
        self._db.execute("DELETE FROM compound_index WHERE res = ?", (seq,))
        rows = index_rows(RESOURCES[resource_type], body)
        self._db.executemany(
            "INSERT INTO search_index (res, type, param, system, code, text, lo, hi) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(seq, resource_type, r.param, r.system, r.code, r.text, r.lo, r.hi) for r in rows],
        )
        self._db.executemany(
            "INSERT INTO compound_index (res, name, k1, k2, sort_asc, sort_desc) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (seq, c.name, c.k1, c.k2, c.sort_asc, c.sort_desc)
                for c in compound.compound_rows(resource_type, rows)
            ],
        )

    def reindex(self) -> int:
        """Rebuild the whole search index from the stored bodies; returns how many were indexed."""
        self._db.execute("DELETE FROM search_index")
        self._db.execute("DELETE FROM compound_index")
        rows = self._db.execute("SELECT seq, type, body FROM resources").fetchall()
        for seq, resource_type, text in rows:
            if resource_type in RESOURCES:
                self._index(int(seq), resource_type, json.loads(text))
        return len(rows)


class FhirStore:
    """Thread-safe access to one sandbox database file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.executescript(_SCHEMA)
        self._reindex_if_registry_changed()

    def _reindex_if_registry_changed(self) -> None:
        fingerprint = _registry_fingerprint()
        with self.transaction() as writer:
            row = self._db.execute("SELECT value FROM settings WHERE key = 'registry'").fetchone()
            if row is None or row[0] != fingerprint:
                writer.reindex()
                self._db.execute(
                    "INSERT INTO settings (key, value) VALUES ('registry', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (fingerprint,),
                )

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """One all-or-nothing write transaction: committed on exit, rolled back on any exception."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Writer(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def write(self, op: WriteOp) -> WriteResult:
        """One create or update in its own transaction."""
        with self.transaction() as writer:
            return writer.write(op)

    def read(self, resource_type: str, resource_id: str) -> StoredResource:
        """The current version.

        Raises:
            NotFound: no such resource.
        """
        with self._lock:
            row = self._db.execute(
                "SELECT type, id, version, last_updated, body FROM resources WHERE type = ? AND id = ?",
                (resource_type, resource_id),
            ).fetchone()
        if row is None:
            raise NotFound(f"{resource_type}/{resource_id} does not exist")
        return _stored(row)

    def vread(self, resource_type: str, resource_id: str, version: int) -> StoredResource:
        """One past or current version.

        Raises:
            NotFound: no such resource or version.
        """
        with self._lock:
            row = self._db.execute(
                "SELECT type, id, version, last_updated, body FROM history WHERE type = ? AND id = ? AND version = ?",
                (resource_type, resource_id, version),
            ).fetchone()
        if row is None:
            raise NotFound(f"{resource_type}/{resource_id} has no version {version}")
        return _stored(row)

    def search(self, query: SearchQuery) -> SearchPage:
        """The total number of matches and the page `query.count`/`query.offset` selects.

        Through a compound index when one fits (`tools.sandbox.compound`), else the generic index.
        `_summary=count` reads the total only.
        """
        found = compound.plan(query)
        if found is not None:
            where = search_sql.compound_where(found, query.resource_type)
            count_sql = f"SELECT COUNT(*) FROM compound_index c WHERE {where.text}"
            page_sql = (
                "SELECT r.type, r.id, r.version, r.last_updated, r.body FROM compound_index c "
                f"JOIN resources r ON r.seq = c.res WHERE {where.text} "
                f"ORDER BY {search_sql.compound_order(found)} LIMIT ? OFFSET ?"
            )
            page_params: tuple[search_sql.SqlValue, ...] = where.params
        else:
            where = search_sql.where(query)
            order = search_sql.order_by(query)
            count_sql = f"SELECT COUNT(*) FROM resources r WHERE {where.text}"
            page_sql = (
                f"SELECT r.type, r.id, r.version, r.last_updated, r.body FROM resources r WHERE {where.text} "
                f"ORDER BY {order.text} LIMIT ? OFFSET ?"
            )
            page_params = (*where.params, *order.params)
        with self._lock:
            total = int(self._db.execute(count_sql, where.params).fetchone()[0])
            rows = []
            if query.count > 0 and query.offset < total and query.summary != "count":
                rows = self._db.execute(page_sql, (*page_params, query.count, query.offset)).fetchall()
        return SearchPage(total=total, resources=[_stored(row) for row in rows])
