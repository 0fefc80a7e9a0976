"""LangGraph checkpointers: SQLite under the data dir by default, PostgreSQL when configured.

Checkpoints hold every message, answer and record fact of a thread, so every value is sealed with the
PHI keyring (`carecoord.keyring`, the transcripts' keys and key ids) through LangGraph's
`EncryptedSerializer`. PostgreSQL's saver would keep plain strings (the patient's question, the final
answer) inline in its JSONB column; `SealedPostgresSaver` sends them to the encrypted blobs instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from agent.checkpoint_cipher import KeyringCipher
from agent.checkpoint_reseal import reseal_postgres, reseal_sqlite
from agent.checkpoint_store import SealedPostgresSaver
from carecoord.keyring import TranscriptCipher

STATE_TYPES: list[tuple[str, str]] = [
    ("agent.state", "Exchange"),
    ("agent.models", "ScreenResult"),
    ("agent.models", "ToolRequest"),
    ("agent.models", "Plan"),
    ("agent.models", "Fact"),
    ("agent.models", "Evidence"),
    ("agent.models", "Retrieval"),
    ("agent.models", "Citation"),
    ("agent.models", "AnswerSentence"),
    ("agent.models", "ComposedAnswer"),
    ("agent.models", "Grounding"),
    ("agent.models", "EscalationRef"),
    ("agent.models", "Decision"),
    ("agent.transcript", "TranscriptLine"),
    ("tools.record", "ToolCall"),
    ("tools.views", "SourceResource"),
    ("tools.drafts", "Draft"),
    ("knowledge.passage", "Passage"),
]
"""Every type the graph state holds: checkpoints deserialize these and nothing else."""
POOL_SIZE = 8
"""Connections per process: the API's turn threads plus its streams' state reads."""
POOL_TIMEOUT_S = 10.0
"""How long a checkpoint read or write waits for a connection before the turn fails cleanly."""


def state_serde(keyring: TranscriptCipher) -> EncryptedSerializer:
    """The checkpoint serializer: our own state types only, every value sealed with `keyring`."""
    plain = JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)
    return EncryptedSerializer(KeyringCipher(keyring), plain)


@contextmanager
def open_checkpointer(
    database_url: str | None, data_dir: Path, keyring: TranscriptCipher
) -> Iterator[BaseCheckpointSaver[str]]:
    """A ready checkpointer for the configured store, closed on exit (old plaintext rows sealed)."""
    if database_url and database_url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        from psycopg.errors import UniqueViolation
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        url = database_url.replace("postgresql+psycopg://", "postgresql://")
        # A pool that checks each connection before lending it: after a PostgreSQL restart the next
        # turn gets a fresh connection instead of the dead one (no restart of ours needed).
        with ConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            timeout=POOL_TIMEOUT_S,
            check=ConnectionPool.check_connection,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
            open=True,
        ) as pool:
            serde = state_serde(keyring)
            postgres = SealedPostgresSaver(pool, serde=serde)  # type: ignore[arg-type]
            try:
                postgres.setup()
            except UniqueViolation:  # another process ran the same setup at the same moment
                postgres.setup()
            reseal_postgres(pool, serde)
            yield postgres
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / "checkpoints.sqlite3", check_same_thread=False)
    try:
        conn.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed, not left holding old rows
        serde = state_serde(keyring)
        saver = SqliteSaver(conn, serde=serde)
        saver.setup()
        reseal_sqlite(conn, serde)
        yield saver
    finally:
        conn.close()
