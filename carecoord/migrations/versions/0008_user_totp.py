"""Issue 15: users may enroll a TOTP authenticator (the secret sealed with the PHI keyring).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add `users.totp_secret` (null: not enrolled)."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the TOTP secrets."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_secret")
