"""Issue 19: the patient API's chat tables join the migrations (adopted, not recreated, where they exist).

Before this revision `ui.api.store` created `chat_threads` and `chat_messages` itself with
`create_all`, so every database from an earlier release already has them, with rows: they are kept as
they are. A fresh database gets the same tables, indexes and constraints from here.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the chat tables unless `create_all` made them before they were migrated."""
    op.create_table(
        "chat_threads",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("turn_started_at", sa.DateTime(timezone=True), nullable=True),
        if_not_exists=True,
    )
    op.create_index("ix_chat_threads_patient_id", "chat_threads", ["patient_id"], if_not_exists=True)
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("thread_id", sa.String(64), sa.ForeignKey("chat_threads.id"), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("dedupe_key", sa.String(120), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        if_not_exists=True,
    )
    op.create_index("ix_chat_messages_thread_id", "chat_messages", ["thread_id"], if_not_exists=True)
    op.create_index("ix_chat_messages_patient_id", "chat_messages", ["patient_id"], if_not_exists=True)


def downgrade() -> None:
    """Drop the chat tables (and every transcript in them)."""
    op.drop_table("chat_messages")
    op.drop_table("chat_threads")
