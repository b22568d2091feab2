"""branches: plan send time and blocks, compliance values (set by the org file)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # All nullable: NULL keeps the default (config/plans.yaml, the branch's rule profile).
    with op.batch_alter_table("branches") as batch:
        batch.add_column(sa.Column("plan_config", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("call_window_start", sa.Time(), nullable=True))
        batch.add_column(sa.Column("call_window_end", sa.Time(), nullable=True))
        batch.add_column(sa.Column("max_calls_per_debtor", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("count_calls", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("min_call_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("branches") as batch:
        for col in (
            "min_call_seconds",
            "count_calls",
            "max_calls_per_debtor",
            "call_window_end",
            "call_window_start",
            "plan_config",
        ):
            batch.drop_column(col)
