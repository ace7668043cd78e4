"""booking issues: bookings a desk change left without their place

Revision ID: c4d19b0e5a21
Revises: ab2dbb2b21e6
Create Date: 2026-12-01 09:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4d19b0e5a21"
down_revision: str | None = "ab2dbb2b21e6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "booking_issue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("booking_code", sa.String(length=16), nullable=False),
        sa.Column("office_code", sa.String(length=32), nullable=False),
        sa.Column("slot_id", sa.String(length=64), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_issue")),
    )
    op.create_index(
        op.f("ix_booking_issue_booking_code"), "booking_issue", ["booking_code"], unique=False
    )
    op.create_index(
        "ix_booking_issue_open", "booking_issue", ["office_code", "resolved_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_booking_issue_open", table_name="booking_issue")
    op.drop_index(op.f("ix_booking_issue_booking_code"), table_name="booking_issue")
    op.drop_table("booking_issue")
