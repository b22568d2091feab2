"""A scheduled job's declaration: name, cron per branch, target function and grace."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from bot.context import AppContext
from coaching.calendar import BranchInfo

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
    # Claimed once per local minute (an interval job, e.g. the dashboard's refresh check):
    # each fire is its own run, a missed one is not reported (the next one replaces it), and
    # its routine runs are logged at DEBUG.
    interval: bool = False

    @property
    def slot(self) -> bool | str:
        """What a run is claimed per: "minute", True (the local hour) or False (the day)."""
        return "minute" if self.interval else self.hourly

    def fn(self) -> JobFn:
        mod, func = self.target.split(":")
        return getattr(importlib.import_module(mod), func)

    def trigger(self, branch: BranchInfo) -> CronTrigger:
        return CronTrigger(timezone=branch.tz, **self.cron(branch))
