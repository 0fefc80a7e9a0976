"""Issue 15: audit entries name the HMAC key that MACed them ("" for entries from before the key).

Added in place (no table rebuild), so the append-only triggers stay as they are.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add `audit_entries.key_id`."""
    op.add_column("audit_entries", sa.Column("key_id", sa.String(16), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop the key ids (keyed entries then no longer verify)."""
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("key_id")
