"""timeline index for the stuck board's window resets

The board takes, per live case, the time of the last step that reset its window
(board.WINDOW_RESETS); with (case_id, kind, at) that is an index lookup per case instead of an
aggregate over the whole timeline.

Revision ID: b15e0a7c3d21
Revises: 2199cd21b5ea
Create Date: 2026-12-01 10:30:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = 'b15e0a7c3d21'
down_revision: str | None = '2199cd21b5ea'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.create_index('ix_timeline_case_kind_at', ['case_id', 'kind', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.drop_index('ix_timeline_case_kind_at')
