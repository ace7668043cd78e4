"""directory replica: police rooms and officers' postings

Revision ID: c4e8a9d1f3b2
Revises: c4d19b0e5a21
Create Date: 2026-12-01 09:52:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e8a9d1f3b2"
down_revision: str | None = "c4d19b0e5a21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_room",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=16), nullable=False),
        sa.Column("village_code", sa.String(length=16), nullable=False),
        sa.Column("officer_ids", sa.JSON(), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_directory_room")),
    )
    op.create_table(
        "directory_officer",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=16), nullable=False),
        sa.Column("police_room_codes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_directory_officer")),
    )
    op.create_index(
        op.f("ix_directory_officer_station_code"),
        "directory_officer",
        ["station_code"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_directory_officer_station_code"), table_name="directory_officer")
    op.drop_table("directory_officer")
    op.drop_table("directory_room")
