"""branch currency and collector costs

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), server_default='CNY', nullable=False))

    op.create_table('collector_costs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_collector_costs_employee_id_employees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collector_costs')),
    sa.UniqueConstraint('employee_id', 'month', name=op.f('uq_collector_costs_employee_id_month'))
    )
    with op.batch_alter_table('collector_costs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collector_costs_employee_id'), ['employee_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('collector_costs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collector_costs_employee_id'))

    op.drop_table('collector_costs')
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.drop_column('currency')
