"""The registry: every scheduled job in one list. Each feature module declares its own specs
(bot/jobs/plans.py declares the plan jobs); this module only collects them."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.context import AppContext
from bot.jobs import plans
from bot.jobs.risk import cron as risk_cron
from bot.jobs.spec import JobSpec
from coaching.calendar import BranchInfo, all_branches

# The registry. Each feature adds its jobs here.
JOBS: list[JobSpec] = [
    JobSpec(
        name="heartbeat",
        description="Daily self-check: counts active bindings and pending outbox rows",
        cron=lambda b: {"hour": 7, "minute": 0},
        target="bot.jobs.housekeeping:heartbeat",
    ),
    JobSpec(
        "hr_risk_daily",
        "HR: recompute attrition risk; alert critical at once",
        cron=lambda b: risk_cron("daily", b),
        target="bot.jobs.risk:daily",
    ),
    JobSpec(
        "hr_risk_weekly",
        "HR: at-risk staff alert (new or escalated) to the HR chat",
        cron=lambda b: risk_cron("weekly", b),
        target="bot.jobs.risk:weekly",
    ),
    JobSpec(
        name="training_reminders",
        description="Training: onboarding assignments, overdue reminders, overdue list to trainers",
        cron=lambda b: {"hour": 10, "minute": 0},
        target="bot.jobs.training:reminders",
    ),
    JobSpec(
        name="training_questions",
        description="Training: trainee questions unanswered for 24 h -> reminder and flag",
        cron=lambda b: {"minute": 5},
        target="bot.jobs.training:question_clock",
        grace=timedelta(minutes=50),
        hourly=True,
    ),
    JobSpec(
        name="training_digest",
        description="Training: weekly statistics digest to the trainers' chat (Mondays)",
        cron=lambda b: {"day_of_week": "mon", "hour": 9, "minute": 30},
        target="bot.jobs.training:digest",
    ),
    JobSpec(
        name="score_snapshot",
        description="1st of the month: freeze last month's scorecards (idempotent)",
        cron=lambda b: {"day": 1, "hour": 0, "minute": 30},
        target="bot.jobs.scores:score_snapshot",
        grace=timedelta(days=3),
    ),
    JobSpec(
        name="promotions",
        description="1st of the month: promotion candidates to the branch's HR chat",
        cron=lambda b: {"day": 1, "hour": 9, "minute": 0},
        target="bot.jobs.scores:promotions",
        grace=timedelta(days=3),
    ),
    JobSpec(
        name="dashboard_precompute",
        description="Dashboard: refresh page data of a branch that changed (checked each minute)",
        cron=lambda b: {"minute": "*"},
        target="bot.jobs.dashboard:precompute",
        grace=timedelta(seconds=50),
        interval=True,
    ),
    *plans.plan_job_specs(),
]


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
