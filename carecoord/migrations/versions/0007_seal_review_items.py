"""Issue 15: review items' PHI is sealed at rest with the PHI keyring (existing rows sealed here).

The JSON columns become text (they hold `sealed:v1:…` strings now), and every stored value that is not
sealed yet is sealed with the keyring bound to the engine (`make_engine(url, keyring)`). A database
with review items cannot be migrated without the keyring: the error names the setting.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from carecoord.sealing import is_sealed, keyring_of, seal_text

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

JSON_COLUMNS = ("evidence", "grounding", "draft_resource", "final_resource")
TEXT_COLUMNS = ("summary", "rationale", "note", "reply", "patient_message")


def upgrade() -> None:
    """Turn the JSON columns into text and seal every plaintext value."""
    bind = op.get_bind()
    with op.batch_alter_table("review_items") as batch:
        for column in JSON_COLUMNS:
            batch.alter_column(
                column,
                type_=sa.Text(),
                existing_type=sa.JSON(),
                existing_nullable=column != "evidence",
                postgresql_using=f"{column}::text",
            )
    columns = (*TEXT_COLUMNS, *JSON_COLUMNS)
    table = sa.table(
        "review_items", sa.column("id", sa.String()), *(sa.column(c, sa.Text()) for c in columns)
    )
    rows = bind.execute(sa.select(table)).mappings().all()
    if not rows:
        return
    keyring = keyring_of(bind.dialect)
    for row in rows:
        values = {
            column: seal_text(keyring, row[column], f"review_items.{column}")
            for column in columns
            if row[column] is not None and not is_sealed(row[column])
        }
        if values:
            bind.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))


def downgrade() -> None:
    """Sealed values stay sealed (there is no going back to plaintext PHI); the types return to JSON."""
    raise NotImplementedError("review items stay sealed: restore a backup to return to revision 0006")
