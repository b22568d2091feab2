"""plans: notification prefs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base


revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notification_prefs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('block_nudges', sa.Boolean(), nullable=False),
    sa.Column('evening_recap', sa.Boolean(), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_notification_prefs_employee_id_employees'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_prefs')),
    sa.UniqueConstraint('employee_id', name=op.f('uq_notification_prefs_employee_id'))
    )


def downgrade() -> None:
    op.drop_table('notification_prefs')
