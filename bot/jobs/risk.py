"""Scheduled HR risk jobs (registered in bot/jobs/__init__.py), per branch in its own time zone.

- `hr_risk_daily` (default 08:00): recompute everyone's score, keep the day's history, and
  alert the HR chat at once about anyone new or escalated to *critical*.
- `hr_risk_weekly` (default Monday 09:30): the regular alert — everyone new or escalated at
  `alerts.min_level` or above since the last alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.context import AppContext
from bot.dashboard.links import dashboard_row
from bot.notify import deliver
from coaching.calendar import BranchInfo
from coaching.risk import alerts
from coaching.risk.config import RiskConfig, load_config
from coaching.risk.score import assess, save


def config(ctx: AppContext) -> RiskConfig:
    cfg = ctx.extras.get("risk_config")
    return cfg if isinstance(cfg, RiskConfig) else load_config(ctx.settings.risk_config)


def cron(which: str, branch: BranchInfo) -> dict[str, Any]:
    return load_config().alerts.schedule.cron(which, branch.code)


def _run(ctx: AppContext, branch: BranchInfo, now: datetime, min_level: str, kind: str) -> str:
    cfg = config(ctx)
    today = branch.local(now).date()

    def work(s: Any) -> str:
        run = assess(s, branch, today, cfg)
        stored = save(s, run, now)
        posted = alerts.post(s, branch, run, cfg, now, min_level=min_level, kind=kind)
        # The alert's header (or digest) gets a link to the dashboard's risk page.
        link = dashboard_row(ctx.settings, "risk", ("hr.alert_header", "hr.alert_digest"))
        messages = deliver(s, posted.notices, now, decorate=link)
        skipped = sorted(k for k, v in run.status.items() if v.startswith("skipped"))
        note = f"; signals skipped: {', '.join(skipped)}" if skipped else ""
        chats = "" if posted.chats else "; no HR chat registered for this branch"
        return (
            f"{stored} scored, {len(run.at_risk())} at risk, "
            f"{posted.people} new/escalated posted ({messages} messages){chats}{note}"
        )

    return ctx.call(work)


def daily(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
    return _run(ctx, branch, now, "critical", "critical")


def weekly(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
    return _run(ctx, branch, now, config(ctx).alerts.min_level, "weekly")
