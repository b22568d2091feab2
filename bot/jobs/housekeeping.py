"""Small operational jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.context import AppContext
from coaching.calendar import BranchInfo
from db.models import Employee, Outbox, TelegramBinding


def heartbeat(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
    def count(s):  # type: ignore[no-untyped-def]
        bound = s.execute(
            select(func.count())
            .select_from(TelegramBinding)
            .join(Employee, Employee.id == TelegramBinding.employee_id)
            .where(Employee.branch_id == branch.id, TelegramBinding.active.is_(True))
        ).scalar_one()
        pending = s.execute(
            select(func.count()).select_from(Outbox).where(Outbox.status == "pending")
        ).scalar_one()
        return bound, pending

    bound, pending = ctx.call(count)
    return f"{bound} active bindings, {pending} pending outbox rows"
