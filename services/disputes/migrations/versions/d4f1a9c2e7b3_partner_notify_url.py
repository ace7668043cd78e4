"""partner organisations' outbound channel (notify_url)

Where the linkage notice of a request goes (an HTTP endpoint of the organisation); none: the
organisation reads its task list in the portal only.

Revision ID: d4f1a9c2e7b3
Revises: d4e8a1c27f60
Create Date: 2026-12-01 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'd4f1a9c2e7b3'
down_revision: str | None = 'd4e8a1c27f60'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('partner_orgs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_url', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('partner_orgs', schema=None) as batch_op:
        batch_op.drop_column('notify_url')
