"""village replica: when the directory listed each village

Revision ID: b7e2c41d9a30
Revises: e3a0f140ef39
Create Date: 2026-12-01 13:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b7e2c41d9a30'
down_revision: str | None = 'e3a0f140ef39'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('villages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('villages', schema=None) as batch_op:
        batch_op.drop_column('listed_at')
