"""accounts deactivated with their partner organisation

Revision ID: b7d2e61c4a90
Revises: fc5c4463c7e4
Create Date: 2026-12-01 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b7d2e61c4a90'
down_revision: str | None = 'fc5c4463c7e4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN: a batch copy of `users` would drop the table its sessions cascade from
    op.add_column('users', sa.Column('deactivated_with', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deactivated_with')
