"""calls: references checked per statement (no foreign keys), no debtor_key index

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 14:00:00

Measured with bench/ingest_floor.py (a COPY of 1M resolved rows into `calls`): the two
foreign keys were a third of its server CPU, the (debtor_key, started_at) index — read by no
query but the PII key rotation, which now updates by id — about a fifth. The triggers of
db/models/call_refs.py keep the no-orphan guarantee with one set-based check per statement.
"""

from collections.abc import Sequence

from alembic import op

from db.models import activity, call_refs

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_calls_case_id_cases"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_calls_collector_id_employees"), type_="foreignkey")
        batch_op.drop_index("ix_calls_debtor_started")
    bind = op.get_bind()
    # SQLite's batch mode rebuilt `calls` without its triggers.
    activity.install(bind)
    call_refs.install(bind)


def downgrade() -> None:
    bind = op.get_bind()
    call_refs.uninstall(bind)
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_debtor_started", ["debtor_key", "started_at"], unique=False)
        batch_op.create_foreign_key(op.f("fk_calls_case_id_cases"), "cases", ["case_id"], ["id"])
        batch_op.create_foreign_key(
            op.f("fk_calls_collector_id_employees"), "employees", ["collector_id"], ["id"]
        )
    activity.install(bind)
