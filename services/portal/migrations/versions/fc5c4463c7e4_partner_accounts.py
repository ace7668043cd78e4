"""partner accounts

Revision ID: fc5c4463c7e4
Revises: 75eb2840147f
Create Date: 2026-12-01 09:48:27.828608
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'fc5c4463c7e4'
down_revision: str | None = '75eb2840147f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN: a batch copy of `users` would drop the table its sessions cascade from
    op.add_column('users', sa.Column('partner_code', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('partner_code')
