"""Scheduled jobs: freeze last month's scorecards, list promotion candidates to HR."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching import people
from coaching.calendar import BranchInfo
from coaching.scoring import config_for
from coaching.scoring.engine import add_months, local_month
from coaching.scoring.promotion import ladder
from coaching.scoring.snapshots import freeze
from db.models import Employee, ScoreSnapshot

if TYPE_CHECKING:
    from bot.context import AppContext


def score_snapshot(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
    """On the 1st (branch-local): freeze the month that just ended. Re-runs rewrite the same
    rows, so running it twice never duplicates a snapshot."""
    cfg = config_for(ctx.settings)
    month = add_months(local_month(now, branch.timezone), -1)
    n = ctx.call(freeze, cfg, branch, month, now)
    return f"{n} scorecards frozen for {month:%Y-%m}"


def _has_snapshots(s: Session, branch_id: int, month) -> bool:  # type: ignore[no-untyped-def]
    return bool(
        s.execute(
            select(func.count())
            .select_from(ScoreSnapshot)
            .join(Employee, Employee.id == ScoreSnapshot.employee_id)
            .where(Employee.branch_id == branch_id, ScoreSnapshot.month == month)
        ).scalar_one()
    )


def promotions(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
    """Monthly: promotion candidates of the month that ended, to the branch's HR chat."""
    from bot.i18n import t
    from bot.outbox import enqueue

    cfg = config_for(ctx.settings)
    month = add_months(local_month(now, branch.timezone), -1)

    def body(s: Session) -> str:
        if not _has_snapshots(s, branch.id, month):
            freeze(s, cfg, branch, month, now)  # the snapshot job has not run yet
        cands = ladder(s, cfg, month, branch.id)
        chats = people.group_chats_for(s, "hr_alerts", branch.id)
        text = t(
            branch.locale,
            "score.promotions",
            month=month.strftime("%Y-%m"),
            branch=branch.code,
            candidates=cands,
            spec=cfg.promotion_for(branch.code),
        )
        sent = 0
        for chat in chats:
            sent += enqueue(
                s,
                key=f"promotions:{branch.code}:{month:%Y-%m}:{chat}",
                kind="promotions",
                chat_id=chat,
                payload={"text": text},
                now=now,
            )
        return f"{len(cands)} candidates for {month:%Y-%m}, {sent} messages queued"

    return ctx.call(body)
