"""Issue 8: a lease on finishing a decision, so two sessions never carry out its effects at once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add `finishing_at`: set by whoever is carrying out the decision's effects right now."""
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("finishing_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the lease column."""
    with op.batch_alter_table("review_items") as batch:
        batch.drop_column("finishing_at")
