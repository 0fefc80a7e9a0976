"""Seal checkpoint rows written before checkpoints were encrypted (run when a checkpointer opens).

Rows whose type names no cipher (no `+`) still hold plaintext: their bytes are sealed as they are, so
no value needs deserializing. On PostgreSQL, strings LangGraph kept inline in the checkpoint JSONB move
to sealed blobs. Cheap when everything is sealed already: one query per table.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

PLAIN = "type IS NOT NULL AND type <> 'empty' AND type NOT LIKE '%+%'"
"""Rows still in plaintext (`empty` marks a channel with no value; nothing to seal)."""


def _sealed(serde: EncryptedSerializer, type_: str, data: bytes) -> tuple[str, bytes]:
    name, blob = serde.cipher.encrypt(data)
    return f"{type_}+{name}", blob


def reseal_sqlite(conn: sqlite3.Connection, serde: EncryptedSerializer) -> int:
    """Seal the plaintext rows of a SQLite checkpointer; returns how many were sealed."""
    count = 0
    with conn:
        for table, column in (("checkpoints", "checkpoint"), ("writes", "value")):
            rows = conn.execute(f"SELECT rowid, type, {column} FROM {table} WHERE {PLAIN}").fetchall()
            for rowid, type_, data in rows:
                new_type, blob = _sealed(serde, type_, data)
                conn.execute(
                    f"UPDATE {table} SET type = ?, {column} = ? WHERE rowid = ?", (new_type, blob, rowid)
                )
            count += len(rows)
    if count:
        conn.execute("VACUUM")  # no copy of the plaintext pages stays in the file
    return count


def reseal_postgres(pool: ConnectionPool[Any], serde: EncryptedSerializer) -> int:
    """Seal the plaintext rows of a PostgreSQL checkpointer; returns how many were sealed."""
    count = 0
    with pool.connection() as conn, conn.transaction():
        for table in ("checkpoint_blobs", "checkpoint_writes"):
            rows = conn.execute(f"SELECT ctid, type, blob FROM {table} WHERE {PLAIN} FOR UPDATE").fetchall()
            for row in rows:
                new_type, blob = _sealed(serde, row["type"], bytes(row["blob"]))
                conn.execute(
                    f"UPDATE {table} SET type = %s, blob = %s WHERE ctid = %s", (new_type, blob, row["ctid"])
                )
            count += len(rows)
        count += _move_inline_values(conn, serde)
    return count


def _move_inline_values(conn: Any, serde: EncryptedSerializer) -> int:
    """Move strings kept inline in `checkpoints.checkpoint` (questions, answers) to sealed blobs."""
    rows = conn.execute(
        "SELECT thread_id, checkpoint_ns, checkpoint_id, checkpoint FROM checkpoints "
        "WHERE EXISTS (SELECT 1 FROM jsonb_each(checkpoint->'channel_values') AS v "
        "WHERE jsonb_typeof(v.value) = 'string') FOR UPDATE"
    ).fetchall()
    for row in rows:
        checkpoint = row["checkpoint"]
        values: dict[str, Any] = checkpoint.get("channel_values") or {}
        versions: dict[str, Any] = checkpoint.get("channel_versions") or {}
        for channel in [k for k, v in values.items() if isinstance(v, str) and k in versions]:
            type_, blob = serde.dumps_typed(values.pop(channel))
            conn.execute(
                "INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (thread_id, checkpoint_ns, channel, version) "
                "DO UPDATE SET type = EXCLUDED.type, blob = EXCLUDED.blob",
                (row["thread_id"], row["checkpoint_ns"], channel, str(versions[channel]), type_, blob),
            )
        conn.execute(
            "UPDATE checkpoints SET checkpoint = %s WHERE thread_id = %s AND checkpoint_ns = %s "
            "AND checkpoint_id = %s",
            (Jsonb(checkpoint), row["thread_id"], row["checkpoint_ns"], row["checkpoint_id"]),
        )
    return len(rows)
