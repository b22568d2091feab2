"""training: per-attempt option order (shuffled quizzes)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quiz_attempts") as batch:
        batch.add_column(sa.Column("option_orders", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quiz_attempts") as batch:
        batch.drop_column("option_orders")
