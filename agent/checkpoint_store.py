"""A PostgreSQL checkpointer that keeps no channel value in plain JSONB.

LangGraph's `PostgresSaver.put` stores `None`, `str`, `int`, `float` and `bool` channel values inline
in the `checkpoints.checkpoint` JSONB column, outside the serializer, so the encrypted serializer never
sees them: the patient's question and the final answer would sit there in plaintext. This saver moves
every non-`None` value to `checkpoint_blobs`, where the serializer seals it; LangGraph's readers already
prefer a blob over an inline value, so nothing else changes.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.serde.types import _DeltaSnapshot
from psycopg.types.json import Jsonb


class SealedPostgresSaver(PostgresSaver):
    """`PostgresSaver` whose checkpoints carry channel values only as (sealed) blobs."""

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Save a checkpoint; every channel value but `None` goes through the serializer."""
        configurable = config["configurable"].copy()
        thread_id = configurable.pop("thread_id")
        checkpoint_ns = configurable.pop("checkpoint_ns")
        checkpoint_id = configurable.pop("checkpoint_id", None)
        copy: dict[str, Any] = dict(checkpoint)
        copy["channel_values"] = dict(checkpoint["channel_values"])
        next_config: RunnableConfig = {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": checkpoint_ns,
                "checkpoint_id": checkpoint["id"],
            }
        }
        blob_values: dict[str, Any] = {}
        for key, value in checkpoint["channel_values"].items():
            if value is None:
                continue
            blob_values[key] = copy["channel_values"].pop(key)
            if isinstance(value, _DeltaSnapshot):
                copy["channel_values"][key] = True  # LangGraph's marker: the snapshot lives in a blob
        with self._cursor(pipeline=True) as cur:
            if blob_versions := {k: v for k, v in new_versions.items() if k in blob_values}:
                cur.executemany(
                    self.UPSERT_CHECKPOINT_BLOBS_SQL,
                    self._dump_blobs(thread_id, checkpoint_ns, blob_values, blob_versions),
                )
            cur.execute(
                self.UPSERT_CHECKPOINTS_SQL,
                (
                    thread_id,
                    checkpoint_ns,
                    checkpoint["id"],
                    checkpoint_id,
                    Jsonb(copy),
                    Jsonb(get_serializable_checkpoint_metadata(config, metadata)),
                ),
            )
        return next_config
