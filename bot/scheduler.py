"""The scheduler every running bot uses: `coachbot run` (polling, webhook or a worker) and the
console.

A tick every second reads the branches from the database and asks each job's cron trigger
(APScheduler's CronTrigger, in the branch's time zone) for its latest fire time within its
grace window, on the injected clock. A fire time not yet run is claimed in `job_runs` and run
in a worker thread while a heartbeat keeps the claim fresh. So:

- a branch added, or a time zone changed, is scheduled within a tick, without a restart;
- downtime is caught up on start (anything within grace), and older misses are logged;
- several processes on one database run each (job, branch, local day) once: only the holder
  of the `scheduler` lease ticks, and the claim is the second line of defence;
- tests and demos move the clock (COACHBOT_CLOCK_AT) and jobs fire at the moved time.

We use APScheduler for what it is good at, the cron arithmetic, and not its job store: its
docs forbid sharing one store between schedulers, and PTB's JobQueue keeps it in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from bot.context import AppContext
from bot.jobs.registry import JOBS
from bot.jobs.runs import HEARTBEAT, STALE_CLAIM, claim_state, finish, heartbeat, run_key
from bot.jobs.spec import JobSpec
from coaching.calendar import BranchInfo, all_branches
from db.models import JobRun

log = logging.getLogger(__name__)

TICK_S = 1.0
BUSY_RECHECK = timedelta(seconds=5)


def _latest_fire(trig: Any, start: datetime, now: datetime) -> datetime | None:
    """The last fire time in (start, now], or None."""
    fire = trig.get_next_fire_time(None, start)
    last = None
    while fire is not None and fire <= now:
        last = fire
        fire = trig.get_next_fire_time(last, last + timedelta(seconds=1))
    return last


def missed_runs(ctx: AppContext, now: datetime) -> list[tuple[JobSpec, BranchInfo, datetime]]:
    """Runs whose time passed within their grace window (due now, or the bot was down then).
    Runs missed by more than their grace are logged, once per call."""
    out = []
    for b in ctx.call(all_branches):
        for spec in JOBS:
            trig = spec.trigger(b)
            start = now - spec.grace
            last = _latest_fire(trig, start, now)
            if last is not None:
                out.append((spec, b, last))
            _log_skipped(ctx, spec, b, trig, start)
    return out


def _log_skipped(ctx: AppContext, spec: JobSpec, b: BranchInfo, trig: Any, start: datetime) -> None:
    """Warn about runs of the last day that fell before the grace window and never ran,
    counting from the job's last run (a new installation has skipped nothing). Interval jobs
    are left out: their next run does what a missed one would have."""
    if spec.interval:
        return
    last = ctx.call(
        lambda s: s.execute(
            select(func.max(JobRun.started_at)).where(
                JobRun.job == spec.name, JobRun.branch_id == b.id
            )
        ).scalar()
    )
    if last is None:
        return
    fire = trig.get_next_fire_time(None, max(start - timedelta(days=1), last))
    keys = []
    while fire is not None and fire < start:
        keys.append((run_key(spec.name, b, b.local(fire), spec.slot), fire))
        fire = trig.get_next_fire_time(fire, fire + timedelta(seconds=1))
    if not keys:
        return
    ran = set(
        ctx.call(
            lambda s: (
                s.execute(select(JobRun.run_key).where(JobRun.run_key.in_([k for k, _ in keys])))
                .scalars()
                .all()
            )
        )
    )
    for key, fire in keys:
        if key not in ran:
            log.warning(
                "job %s for %s at %s skipped: missed by more than its grace window (%s)",
                spec.name,
                b.code,
                f"{b.local(fire):%Y-%m-%d %H:%M}",
                spec.grace,
            )


@dataclass
class _Slot:
    """What the scheduler knows about one (job, branch): nothing to do before `next_check`."""

    trigger_sig: str
    next_check: datetime
    handled: set[str] = field(default_factory=set)


class Scheduler:
    """Ticks while `is_leader()` says so; `after_run` is awaited after each run (the outbox
    is woken to deliver what the job queued)."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        is_leader: Callable[[], bool] = lambda: True,
        after_run: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.ctx = ctx
        self.is_leader = is_leader
        self.after_run = after_run
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._logged_skips = False
        self.running: set[str] = set()
        self.ran = 0

    # --- the tick -------------------------------------------------------------------------

    async def tick(self) -> int:
        """Run every due job (sequentially, oldest fire first, interval jobs last). Returns
        how many ran."""
        now = self.ctx.clock.now()
        branches = await self.ctx.run(all_branches)
        if not self._logged_skips:
            self._logged_skips = True
            await asyncio.to_thread(self._log_all_skipped, branches, now)
        due: list[tuple[datetime, JobSpec, BranchInfo, _Slot]] = []
        for b in branches:
            for spec in JOBS:
                trig = spec.trigger(b)
                sig = f"{b.tz}|{trig}"
                slot = self._slots.get((spec.name, b.code))
                if slot is None or slot.trigger_sig != sig:
                    slot = self._slots[(spec.name, b.code)] = _Slot(sig, now)
                if now < slot.next_check:
                    continue
                fire = _latest_fire(trig, now - spec.grace, now)
                nxt = trig.get_next_fire_time(None, now)
                slot.next_check = nxt if nxt is not None else now + timedelta(days=1)
                if fire is None:
                    continue
                key = run_key(spec.name, b, b.local(fire), spec.slot)
                if key in slot.handled:
                    continue
                due.append((fire, spec, b, slot))
        ran = 0
        # Oldest fire first; interval jobs (the dashboard's refresh) after the rest: a
        # morning plan never waits behind a branch's recomputation.
        ordered = sorted(due, key=lambda d: (d[1].interval, d[0]))
        for i, (fire, spec, b, slot) in enumerate(ordered):
            if not self.is_leader():
                # Leadership lapsed mid-tick (a slow lease renewal while imports hold the
                # database): the runs not started are due again on the next tick, not at
                # their next fire time — else a catch-up (the morning plan) would be lost.
                for _, _, _, left in ordered[i:]:
                    left.next_check = now
                break
            state = await self._run(spec, b, fire)
            key = run_key(spec.name, b, b.local(fire), spec.slot)
            if state == "busy":  # running in another process: look again shortly
                slot.next_check = min(slot.next_check, self.ctx.clock.now() + BUSY_RECHECK)
            elif state == "failed":  # jobs are idempotent: retry once the claim goes stale
                retry = self.ctx.clock.now() + STALE_CLAIM + timedelta(seconds=1)
                slot.next_check = min(slot.next_check, retry)
            else:
                slot.handled.add(key)
                if len(slot.handled) > 64:
                    slot.handled = {key}
            ran += state == "claimed"
        return ran

    def _log_all_skipped(self, branches: list[BranchInfo], now: datetime) -> None:
        for b in branches:
            for spec in JOBS:
                _log_skipped(self.ctx, spec, b, spec.trigger(b), now - spec.grace)

    async def _run(self, spec: JobSpec, b: BranchInfo, fire: datetime) -> str:
        ctx = self.ctx
        fire_local = b.local(fire)
        state = await ctx.run(claim_state, spec.name, b, fire_local, ctx.clock.now(), spec.slot)
        if state != "claimed":
            return state
        key = run_key(spec.name, b, fire_local, spec.slot)
        self.running.add(key)
        work = asyncio.ensure_future(asyncio.to_thread(spec.fn(), ctx, b, ctx.clock.now()))
        try:
            while True:
                done, _ = await asyncio.wait({work}, timeout=HEARTBEAT.total_seconds())
                if done:
                    break
                await ctx.run(heartbeat, key, ctx.clock.now())
            try:
                result = work.result()
            except DBAPIError as exc:  # an outage: one line; retried after STALE_CLAIM
                log.error(
                    "job %s for %s failed (database: %s); it runs again once the database answers",
                    spec.name,
                    b.code,
                    exc.__class__.__name__,
                )
                return "failed"
            except Exception as exc:  # the run stays unfinished: retried after STALE_CLAIM
                log.error("job %s for %s failed: %r", spec.name, b.code, exc, exc_info=exc)
                return "failed"
            await ctx.run(finish, spec.name, b, fire_local, ctx.clock.now(), result, spec.slot)
        finally:
            self.running.discard(key)
        self.ran += 1
        log.log(
            logging.DEBUG if spec.interval else logging.INFO,
            "job %s for %s (%s): %s",
            spec.name,
            b.code,
            f"{fire_local:%Y-%m-%d %H:%M}",
            result,
        )
        if self.after_run is not None:
            await self.after_run()
        return "claimed"

    # --- the loop -------------------------------------------------------------------------

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.is_leader():
                try:
                    await self.tick()
                except DBAPIError as exc:  # a database outage: one line, tick again
                    log.warning("scheduler tick failed (database: %s)", exc.__class__.__name__)
                except Exception:
                    log.exception("scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TICK_S)

    def next_runs(self, now: datetime) -> list[tuple[JobSpec, BranchInfo, datetime | None]]:
        out = []
        for b in self.ctx.call(all_branches):
            for spec in JOBS:
                out.append((spec, b, spec.trigger(b).get_next_fire_time(None, now)))
        return out
