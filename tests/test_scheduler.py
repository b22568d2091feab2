"""The scheduler on the injected clock: due jobs run once per (job, branch, local day),
a branch added or moved to another time zone is scheduled without a restart, only the lease
holder ticks, and a run that died is taken over after its heartbeat stops."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.jobs import STALE_CLAIM, get_job, run_key
from bot.scheduler import Scheduler
from coaching.calendar import all_branches
from db.models import Branch, JobRun
from tests import factories as f

# Monday 2026-03-02 08:40:00 in Shanghai (00:40 UTC).
PLAN_TIME = datetime(2026, 3, 2, 0, 40, tzinfo=UTC)


def _runs(ctx, job: str) -> list[str]:  # type: ignore[no-untyped-def]
    return ctx.call(
        lambda s: sorted(
            r.run_key for r in s.execute(select(JobRun).where(JobRun.job == job)).scalars()
        )
    )


async def test_due_jobs_run_once_and_a_new_branch_needs_no_restart(ctx, clock) -> None:
    ctx.call(lambda s: f.branch(s, "SH", "Asia/Shanghai"))
    sched = Scheduler(ctx)
    clock.set(PLAN_TIME - timedelta(seconds=5))
    await sched.tick()
    assert _runs(ctx, "morning_plan") == []  # not before 08:40
    clock.set(PLAN_TIME + timedelta(seconds=1))
    await sched.tick()
    await sched.tick()  # a second tick does not run it again
    assert _runs(ctx, "morning_plan") == ["morning_plan:SH:2026-03-02"]
    # A branch created while the bot runs (08:30 Jakarta = 09:30 Shanghai) is picked up.
    ctx.call(lambda s: f.branch(s, "JKT", "Asia/Jakarta"))
    clock.set(datetime(2026, 3, 2, 1, 30, 1, tzinfo=UTC))
    await sched.tick()
    assert "morning_plan:JKT:2026-03-02" in _runs(ctx, "morning_plan")
    # Another process (a second Scheduler on the same database) finds nothing left to do.
    other = Scheduler(ctx)
    assert await other.tick() == 0


async def test_time_zone_change_moves_the_schedule(ctx, clock) -> None:
    ctx.call(lambda s: f.branch(s, "X", "Asia/Shanghai"))
    sched = Scheduler(ctx)
    clock.set(PLAN_TIME - timedelta(minutes=1))
    await sched.tick()

    def move(s):  # type: ignore[no-untyped-def]
        s.execute(select(Branch).where(Branch.code == "X")).scalar_one().timezone = "Asia/Tokyo"

    ctx.call(move)
    # 08:40 Tokyo is 07:40 Shanghai, an hour earlier: due now (within the 2-hour grace).
    await sched.tick()
    assert _runs(ctx, "morning_plan") == ["morning_plan:X:2026-03-02"]


async def test_only_the_lease_holder_ticks(ctx, clock) -> None:
    ctx.call(lambda s: f.branch(s, "SH", "Asia/Shanghai"))
    follower = Scheduler(ctx, is_leader=lambda: False)
    clock.set(PLAN_TIME + timedelta(seconds=1))
    assert await follower.tick() == 0
    assert _runs(ctx, "morning_plan") == []


async def test_runs_left_when_leadership_lapses_run_at_the_next_tick(ctx, clock) -> None:
    """A lease renewal that is slow for a moment (the database busy with imports) must not
    cost the day's morning plan: the runs not started are due again at the next tick."""
    ctx.call(lambda s: f.branch(s, "SH", "Asia/Shanghai"))
    leading = [False]
    sched = Scheduler(ctx, is_leader=lambda: leading[0])
    clock.set(PLAN_TIME + timedelta(seconds=1))
    assert await sched.tick() == 0
    leading[0] = True
    clock.advance(timedelta(seconds=3))
    await sched.tick()
    assert _runs(ctx, "morning_plan") == ["morning_plan:SH:2026-03-02"]


async def test_a_run_whose_process_died_is_taken_over(ctx, clock) -> None:
    from bot.jobs import claim_state

    ctx.call(lambda s: f.branch(s, "SH", "Asia/Shanghai"))
    [b] = ctx.call(all_branches)
    clock.set(PLAN_TIME + timedelta(seconds=1))
    fire_local = b.local(PLAN_TIME)
    # A process claimed the run and died before finishing (no heartbeat since).
    assert ctx.call(claim_state, "morning_plan", b, fire_local, clock.now()) == "claimed"
    sched = Scheduler(ctx)
    await sched.tick()
    assert ctx.call(claim_state, "morning_plan", b, fire_local, clock.now()) == "busy"
    clock.advance(STALE_CLAIM + timedelta(seconds=10))
    await sched.tick()
    key = run_key("morning_plan", b, fire_local, False)
    done = ctx.call(
        lambda s: s.execute(select(JobRun.finished_at).where(JobRun.run_key == key)).scalar()
    )
    assert done is not None


async def test_hourly_jobs_that_ran_are_not_reported_as_skipped(ctx, clock, caplog) -> None:
    ctx.call(lambda s: f.branch(s, "SH", "Asia/Shanghai"))
    spec = get_job("training_questions")
    sched = Scheduler(ctx)
    start = datetime(2026, 3, 2, 2, 5, 1, tzinfo=UTC)  # 10:05:01 Shanghai
    for h in range(3):  # the bot ran through three hours
        clock.set(start + timedelta(hours=h))
        await sched.tick()
    assert len(_runs(ctx, spec.name)) == 3
    clock.set(start + timedelta(hours=2, minutes=10))
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        await Scheduler(ctx).tick()  # a restart looks back a day
    skipped = [r.message for r in caplog.records if "skipped" in r.message]
    # Hourly runs are keyed by the hour: the ones that ran are not reported, and nothing
    # before the first run counts as skipped.
    assert not [m for m in skipped if "training_questions" in m], skipped
    # Down from 12:15 to 15:15: the 13:05 and 14:05 runs (now past their 50-minute grace)
    # were skipped, and that is said once each.
    clock.set(start + timedelta(hours=5, minutes=10))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        await Scheduler(ctx).tick()
    skipped = [r.message for r in caplog.records if "training_questions" in r.message]
    assert len(skipped) == 2 and "13:05" in skipped[0] and "14:05" in skipped[1], skipped
