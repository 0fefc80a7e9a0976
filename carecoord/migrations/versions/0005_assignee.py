"""Issue 18: who has claimed a review item (the queue's assignee), and since when.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add `assignee` and `assigned_at` (both null: nobody has claimed the item)."""
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("assignee", sa.String(100), nullable=True))
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the assignee columns."""
    with op.batch_alter_table("review_items") as batch:
        batch.drop_column("assigned_at")
        batch.drop_column("assignee")
