"""directory admin: households and the directory's change log

Revision ID: b7d3e1f0a2c4
Revises: b15e0a7c3d21
Create Date: 2026-12-01 09:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d3e1f0a2c4"
down_revision: str | None = "b15e0a7c3d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("village_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_households")),
    )
    op.create_index(
        op.f("ix_households_village_code"), "households", ["village_code"], unique=False
    )
    op.create_table(
        "directory_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_changes")),
    )
    op.create_index(
        op.f("ix_directory_changes_at"), "directory_changes", ["at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_directory_changes_at"), table_name="directory_changes")
    op.drop_table("directory_changes")
    op.drop_index(op.f("ix_households_village_code"), table_name="households")
    op.drop_table("households")
