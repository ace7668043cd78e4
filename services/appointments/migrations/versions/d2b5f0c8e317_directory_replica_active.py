"""directory replica: closed villages and police rooms

Revision ID: d2b5f0c8e317
Revises: c4e8a9d1f3b2
Create Date: 2026-12-01 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d2b5f0c8e317"
down_revision: str | None = "c4e8a9d1f3b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("directory_village", "directory_room"):
        op.add_column(
            table,
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        )


def downgrade() -> None:
    for table in ("directory_village", "directory_room"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("active")
