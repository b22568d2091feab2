"""dashboard page data precomputed per branch (the dashboard_precompute job)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("part", sa.String(length=64), nullable=False),
        sa.Column("computed_at", db.base.UTCDateTime(), nullable=False),
        sa.Column("stamp", sa.String(length=300), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["branches.id"],
            name=op.f("fk_dashboard_snapshots_branch_id_branches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_snapshots")),
        sa.UniqueConstraint(
            "branch_id", "part", name=op.f("uq_dashboard_snapshots_branch_id_part")
        ),
    )


def downgrade() -> None:
    op.drop_table("dashboard_snapshots")
