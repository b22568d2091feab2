"""`dashboard_precompute`: keep each branch's dashboard page data current (docs/dashboard.md).

Checked every minute per branch (an interval job: claimed per local minute in `job_runs`, so
of several bot processes only one computes, with the scheduler's heartbeat while it runs). A
check is three small statements; the branch is recomputed only when something changed — new
rows in an input table, an import (which marks the parts stale), a new local day — or its data
is COACHBOT_WEBAPP_REFRESH_S old. The run for the first branch (by code) also refreshes the
parts over every branch (an admin's "all" views).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.context import AppContext
from bot.dashboard import snapshots, worker
from coaching.calendar import BranchInfo, all_branches
from coaching.scoring import config_for
from db.models import JobRun

log = logging.getLogger(__name__)

NAME = "dashboard_precompute"
# Its own claims of the last day are kept (`coachbot jobs` shows them); older ones go.
KEEP_RUNS = timedelta(days=1)


def inputs(ctx: AppContext) -> snapshots.Inputs:
    from bot.jobs.risk import config as risk_config

    return snapshots.Inputs(
        scoring=config_for(ctx.settings),
        risk=risk_config(ctx),
        question_hours=ctx.settings.training_question_hours,
    )


def _prune(s: Session, branch: BranchInfo, now: datetime) -> None:
    s.execute(
        delete(JobRun).where(
            JobRun.job == NAME,
            JobRun.branch_id == branch.id,
            JobRun.finished_at.is_not(None),
            JobRun.started_at < now - KEEP_RUNS,
        )
    )


def precompute(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
    max_age = timedelta(seconds=ctx.settings.webapp_refresh_s)
    why = ctx.call(snapshots.due, branch, now, max_age)
    if why is None:
        return "current"
    first = ctx.call(lambda s: [b.id for b in all_branches(s)][:1] == [branch.id])
    # Computed in the dashboard worker process (bot/dashboard/worker.py), stored by it.
    n, took = worker.refresh(ctx, branch, now, inputs(ctx), first)
    ctx.call(_prune, branch, now)
    log.info("dashboard data for %s: %d parts in %.1f s (%s)", branch.code, n, took, why)
    return f"{n} parts in {took:.1f} s ({why})"
