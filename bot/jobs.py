"""Every scheduled job, registered in one place, scheduled per branch in its own time zone.

Job bodies are plain functions `run(ctx, branch, now) -> summary` that do their database work
and put messages in the outbox; the outbox worker delivers them. Each (job, branch, local date)
run is claimed in `job_runs` first, so a restart, a catch-up after downtime or a second bot
process never runs the same day's job twice.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.context import AppContext
from coaching.calendar import BranchInfo, all_branches
from db.models import JobRun

log = logging.getLogger(__name__)

JobFn = Callable[[AppContext, BranchInfo, datetime], str]


@dataclass(frozen=True)
class JobSpec:
    name: str
    description: str
    # Cron fields (APScheduler CronTrigger kwargs) for a branch, in the branch's time zone.
    cron: Callable[[BranchInfo], dict[str, Any]]
    # "module:function" — imported lazily so this registry has no import cycles.
    target: str
    # How late a missed run may still be made up (on start-up or after a busy loop).
    grace: timedelta = timedelta(hours=2)
    # Claimed once per local hour instead of once per local day (for clocks checked hourly).
    hourly: bool = False

    def fn(self) -> JobFn:
        mod, func = self.target.split(":")
        return getattr(importlib.import_module(mod), func)

    def trigger(self, branch: BranchInfo) -> CronTrigger:
        return CronTrigger(timezone=branch.tz, **self.cron(branch))


# The registry. Each feature adds its jobs here.
JOBS: list[JobSpec] = [
    JobSpec(
        name="heartbeat",
        description="Daily self-check: counts active bindings and pending outbox rows",
        cron=lambda b: {"hour": 7, "minute": 0},
        target="bot.housekeeping:heartbeat",
    ),
    JobSpec(
        "hr_risk_daily",
        "HR: recompute attrition risk; alert critical at once",
        cron=lambda b: importlib.import_module("coaching.risk.jobs").cron("daily", b),
        target="coaching.risk.jobs:daily",
    ),
    JobSpec(
        "hr_risk_weekly",
        "HR: at-risk staff alert (new or escalated) to the HR chat",
        cron=lambda b: importlib.import_module("coaching.risk.jobs").cron("weekly", b),
        target="coaching.risk.jobs:weekly",
    ),
    JobSpec(
        name="training_reminders",
        description="Training: onboarding assignments, overdue reminders, overdue list to trainers",
        cron=lambda b: {"hour": 10, "minute": 0},
        target="bot.training_jobs:reminders",
    ),
    JobSpec(
        name="training_questions",
        description="Training: trainee questions unanswered for 24 h -> reminder and flag",
        cron=lambda b: {"minute": 5},
        target="bot.training_jobs:question_clock",
        grace=timedelta(minutes=50),
        hourly=True,
    ),
    JobSpec(
        name="training_digest",
        description="Training: weekly statistics digest to the trainers' chat (Mondays)",
        cron=lambda b: {"day_of_week": "mon", "hour": 9, "minute": 30},
        target="bot.training_jobs:digest",
    ),
    JobSpec(
        name="score_snapshot",
        description="1st of the month: freeze last month's scorecards (idempotent)",
        cron=lambda b: {"day": 1, "hour": 0, "minute": 30},
        target="coaching.scoring.jobs:score_snapshot",
        grace=timedelta(days=3),
    ),
    JobSpec(
        name="promotions",
        description="1st of the month: promotion candidates to the branch's HR chat",
        cron=lambda b: {"day": 1, "hour": 9, "minute": 0},
        target="coaching.scoring.jobs:promotions",
        grace=timedelta(days=3),
    ),
    *importlib.import_module("bot.plan_jobs").plan_job_specs(),
]

# An unfinished run whose claim had no heartbeat for this long is taken over (its process
# died); a running job refreshes its claim every HEARTBEAT.
STALE_CLAIM = timedelta(seconds=30)
HEARTBEAT = timedelta(seconds=5)


def get_job(name: str) -> JobSpec:
    for spec in JOBS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def next_runs(ctx: AppContext, now: datetime) -> list[tuple[JobSpec, BranchInfo, datetime | None]]:
    branches = ctx.call(all_branches)
    out = []
    for spec in JOBS:
        for b in branches:
            out.append((spec, b, spec.trigger(b).get_next_fire_time(None, now)))
    return out


def run_key(job: str, branch: BranchInfo, fire_local: datetime, hourly: bool) -> str:
    when = fire_local.strftime("%Y-%m-%dT%H") if hourly else fire_local.date().isoformat()
    return f"{job}:{branch.code}:{when}"


def claim(
    s: Session,
    job: str,
    branch: BranchInfo,
    fire_local: datetime,
    now: datetime,
    hourly: bool = False,
) -> bool:
    """Claim one run; False when this (job, branch, local date or hour) already ran."""
    return claim_state(s, job, branch, fire_local, now, hourly) == "claimed"


def claim_state(
    s: Session,
    job: str,
    branch: BranchInfo,
    fire_local: datetime,
    now: datetime,
    hourly: bool = False,
) -> str:
    """`claimed` (ours to run), `done` (ran already) or `busy` (running elsewhere now)."""
    key = run_key(job, branch, fire_local, hourly)
    try:
        with s.begin_nested():
            s.add(
                JobRun(
                    run_key=key,
                    job=job,
                    branch_id=branch.id,
                    local_date=fire_local.date(),
                    started_at=now,
                )
            )
    except IntegrityError:
        # Claimed before but never finished and no heartbeat for STALE_CLAIM (the process
        # died mid-run): jobs are idempotent, so take it over.
        res = s.execute(
            update(JobRun)
            .where(
                JobRun.run_key == key,
                JobRun.finished_at.is_(None),
                JobRun.started_at < now - STALE_CLAIM,
            )
            .values(started_at=now)
        )
        if res.rowcount == 1:
            return "claimed"
        finished = s.execute(select(JobRun.finished_at).where(JobRun.run_key == key)).scalar()
        return "done" if finished is not None else "busy"
    return "claimed"


def heartbeat(s: Session, key: str, now: datetime) -> None:
    """A running job's claim stays fresh, so no other process takes it over."""
    s.execute(
        update(JobRun)
        .where(JobRun.run_key == key, JobRun.finished_at.is_(None))
        .values(started_at=now)
    )


def _finish(
    s: Session,
    job: str,
    branch: BranchInfo,
    fire_local: datetime,
    now: datetime,
    result: str,
    hourly: bool = False,
) -> None:
    key = run_key(job, branch, fire_local, hourly)
    row = s.execute(select(JobRun).where(JobRun.run_key == key)).scalar_one_or_none()
    if row is not None:
        row.finished_at = now
        row.result = result[:500]


def run_job(
    ctx: AppContext,
    spec: JobSpec,
    branch: BranchInfo,
    *,
    force: bool = False,
    fire_time: datetime | None = None,
) -> str | None:
    """Run a job for one branch now. Returns its summary, or None if already run today."""
    now = ctx.clock.now()
    fire_local = branch.local(fire_time or now)
    if not force and not ctx.call(claim, spec.name, branch, fire_local, now, spec.hourly):
        log.info("job %s for %s already ran on %s", spec.name, branch.code, fire_local.date())
        return None
    result = spec.fn()(ctx, branch, now)
    if not force:
        ctx.call(_finish, spec.name, branch, fire_local, ctx.clock.now(), result, spec.hourly)
    log.info("job %s for %s: %s", spec.name, branch.code, result)
    return result
