"""calls summed per (collector, case, UTC month), kept by triggers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 07:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.models.activity import install, uninstall

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_month_activity",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("collector_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("connected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "collector_id", "case_id", name=op.f("pk_call_month_activity")
        ),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_started"), ["started_at"], unique=False)
    # The triggers after any batch rebuild of `calls` (SQLite recreates the table).
    install(op.get_bind(), backfill=True)


def downgrade() -> None:
    uninstall(op.get_bind())
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_started"))
    op.drop_table("call_month_activity")
