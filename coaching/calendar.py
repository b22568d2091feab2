"""Branch calendars: working days from the weekday set plus the holiday file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Branch, Holiday


@dataclass(frozen=True)
class BranchInfo:
    id: int
    code: str
    name: str
    timezone: str
    locale: str
    workdays: frozenset[int]
    score_profile: str
    rule_profile: str
    # The org file's plan settings for the branch as canonical JSON (hashable), or None.
    plan: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)


def branch_info(b: Branch) -> BranchInfo:
    return BranchInfo(
        id=b.id,
        code=b.code,
        name=b.name,
        timezone=b.timezone,
        locale=b.locale,
        workdays=frozenset(b.workday_set),
        score_profile=b.score_profile,
        rule_profile=b.rule_profile,
        plan=json.dumps(b.plan_config, sort_keys=True) if b.plan_config else None,
    )


def all_branches(s: Session) -> list[BranchInfo]:
    return [branch_info(b) for b in s.execute(select(Branch).order_by(Branch.code)).scalars()]


def is_workday(s: Session, branch: BranchInfo, day: date) -> bool:
    row = s.execute(
        select(Holiday.is_workday).where(Holiday.branch_id == branch.id, Holiday.day == day)
    ).scalar_one_or_none()
    if row is not None:
        return bool(row)  # a holiday (False) or a make-up working day (True)
    return day.isoweekday() in branch.workdays
