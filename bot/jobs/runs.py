"""Running a job exactly once per (job, branch, local date or hour): claims in `job_runs`,
heartbeats while running, takeover of a dead process's claim after STALE_CLAIM."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.context import AppContext
from bot.jobs.spec import JobSpec
from coaching.calendar import BranchInfo
from db.models import JobRun

log = logging.getLogger(__name__)

# An unfinished run whose claim had no heartbeat for this long is taken over (its process
# died); a running job refreshes its claim every HEARTBEAT.
STALE_CLAIM = timedelta(seconds=30)
HEARTBEAT = timedelta(seconds=5)


def run_key(job: str, branch: BranchInfo, fire_local: datetime, hourly: bool | str) -> str:
    """`hourly`: True per local hour, "minute" per local minute, False per local date."""
    if hourly == "minute":
        when = fire_local.strftime("%Y-%m-%dT%H:%M")
    elif hourly:
        when = fire_local.strftime("%Y-%m-%dT%H")
    else:
        when = fire_local.date().isoformat()
    return f"{job}:{branch.code}:{when}"


def claim(
    s: Session,
    job: str,
    branch: BranchInfo,
    fire_local: datetime,
    now: datetime,
    hourly: bool | str = False,
) -> bool:
    """Claim one run; False when this (job, branch, local date or hour) already ran."""
    return claim_state(s, job, branch, fire_local, now, hourly) == "claimed"


def claim_state(
    s: Session,
    job: str,
    branch: BranchInfo,
    fire_local: datetime,
    now: datetime,
    hourly: bool | str = False,
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


def finish(
    s: Session,
    job: str,
    branch: BranchInfo,
    fire_local: datetime,
    now: datetime,
    result: str,
    hourly: bool | str = False,
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
    if not force and not ctx.call(claim, spec.name, branch, fire_local, now, spec.slot):
        log.info("job %s for %s already ran on %s", spec.name, branch.code, fire_local.date())
        return None
    result = spec.fn()(ctx, branch, now)
    if not force:
        ctx.call(finish, spec.name, branch, fire_local, ctx.clock.now(), result, spec.slot)
    log.info("job %s for %s: %s", spec.name, branch.code, result)
    return result
