"""Issue 13: the notification outbox, so emergent and urgent items reach the on-call care team.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create `notifications`: one row per item, channel and round, claimed by the dispatcher sending it."""
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("item_id", sa.String(40), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.UniqueConstraint("item_id", "channel", "round", name="uq_notifications_round"),
    )
    op.create_index("ix_notifications_item_id", "notifications", ["item_id"])
    op.create_index("ix_notifications_status", "notifications", ["status"])


def downgrade() -> None:
    """Drop the outbox."""
    op.drop_index("ix_notifications_status", "notifications")
    op.drop_index("ix_notifications_item_id", "notifications")
    op.drop_table("notifications")
