"""directory closing: police rooms and villages can be closed (kept, no longer in use);
officers remember when their newest account event was made (older ones are ignored)

Revision ID: e4a9c2d7f1b3
Revises: d4f1a9c2e7b3
Create Date: 2026-12-01 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4a9c2d7f1b3"
down_revision: str | None = "d4f1a9c2e7b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("police_rooms", "villages"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
            )
    with op.batch_alter_table("officers") as batch_op:
        batch_op.add_column(sa.Column("account_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("officers") as batch_op:
        batch_op.drop_column("account_at")
    for table in ("villages", "police_rooms"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("active")
