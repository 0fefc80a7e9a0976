"""LangGraph checkpointers: SQLite under the data dir by default, PostgreSQL when configured."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

STATE_TYPES: list[tuple[str, str]] = [
    ("agent.state", "Exchange"),
    ("agent.models", "ScreenResult"),
    ("agent.models", "ToolRequest"),
    ("agent.models", "Plan"),
    ("agent.models", "Fact"),
    ("agent.models", "Evidence"),
    ("agent.models", "Citation"),
    ("agent.models", "AnswerSentence"),
    ("agent.models", "ComposedAnswer"),
    ("agent.models", "Grounding"),
    ("agent.models", "EscalationRef"),
    ("agent.models", "Decision"),
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


def state_serde() -> JsonPlusSerializer:
    """The checkpoint serializer, restricted to our own state types."""
    return JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)


@contextmanager
def open_checkpointer(database_url: str | None, data_dir: Path) -> Iterator[BaseCheckpointSaver[str]]:
    """A ready checkpointer for the configured store, closed on exit."""
    if database_url and database_url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        from langgraph.checkpoint.postgres import PostgresSaver
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
            postgres = PostgresSaver(pool, serde=state_serde())  # type: ignore[arg-type]
            try:
                postgres.setup()
            except UniqueViolation:  # another process ran the same setup at the same moment
                postgres.setup()
            yield postgres
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / "checkpoints.sqlite3", check_same_thread=False)
    try:
        saver = SqliteSaver(conn, serde=state_serde())
        saver.setup()
        yield saver
    finally:
        conn.close()
