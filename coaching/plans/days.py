"""A collector's day around the plan: who gets one that day, the evening recap's figures,
whether they work that day (weekend, holiday, leave), and the plan as /plan and the CLI show
it. (coaching/plans/build.py builds the plans themselves.)"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo
from coaching.plans.build import ANSWERED, CHUNK, Plan, Recipient, branch_currency, plan_for
from coaching.plans.config import DayPlan
from db.models import Call, Employee, EmployeeRole, Leave, PromiseToPay, TelegramBinding
from db.models.org import EmployeeStatus
from db.sql import in_ids

# --- who gets a plan -------------------------------------------------------------------------


def recipients(
    s: Session,
    branch: BranchInfo,
    day: date,
    employee_ids: Sequence[int] | None = None,
    *,
    lo: int | None = None,
    hi: int | None = None,
) -> list[Recipient]:
    """Collectors of the branch with an active binding who work that day: not left (their last
    day counts), not on leave, not marked on leave. `lo`/`hi`: employee ids in that range
    (inclusive; None = unbounded), one chunk of a fan-out."""
    on_leave = exists().where(
        Leave.employee_id == Employee.id, Leave.start_date <= day, Leave.end_date >= day
    )
    is_collector = exists().where(
        EmployeeRole.employee_id == Employee.id, EmployeeRole.role == "collector"
    )
    q = (
        select(
            Employee.id,
            Employee.employee_no,
            Employee.name,
            func.coalesce(Employee.locale, literal(branch.locale)),
            TelegramBinding.chat_id,
        )
        .join(TelegramBinding, TelegramBinding.employee_id == Employee.id)
        .where(
            Employee.branch_id == branch.id,
            TelegramBinding.active.is_(True),
            is_collector,
            ~on_leave,
            or_(
                Employee.status == EmployeeStatus.ACTIVE,
                and_(
                    Employee.status == EmployeeStatus.LEFT,
                    Employee.left_on.is_not(None),
                    Employee.left_on >= day,
                ),
            ),
        )
        .order_by(Employee.id)
    )
    if employee_ids is not None:
        q = q.where(in_ids(s, Employee.id, employee_ids))
    if lo is not None:
        q = q.where(Employee.id >= lo)
    if hi is not None:
        q = q.where(Employee.id <= hi)
    return [Recipient(*r) for r in s.execute(q).all()]


# --- the evening recap -----------------------------------------------------------------------


@dataclass(frozen=True)
class DayStats:
    calls: int = 0
    contacts: int = 0
    promises: int = 0
    repaid: float = 0.0
    currency: str = "CNY"


def day_stats(
    s: Session, employee_ids: Sequence[int], branch: BranchInfo, day: date
) -> dict[int, DayStats]:
    """Calls, answered calls, promises made and money repaid on one branch-local day."""
    from db.models import Repayment

    tz = branch.tz
    lo = datetime.combine(day, time(0), tz).astimezone(UTC)
    hi = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    out: dict[int, dict[str, Any]] = defaultdict(dict)
    for i in range(0, len(employee_ids), CHUNK):
        ids = list(employee_ids[i : i + CHUNK])
        for cid, n, n_ans in s.execute(
            select(
                Call.collector_id,
                func.count(),
                func.sum(case((Call.outcome.in_(ANSWERED), 1), else_=0)),
            )
            .where(Call.collector_id.in_(ids), Call.started_at >= lo, Call.started_at < hi)
            .group_by(Call.collector_id)
        ).all():
            out[cid].update(calls=int(n), contacts=int(n_ans or 0))
        for cid, n in s.execute(
            select(PromiseToPay.collector_id, func.count())
            .where(PromiseToPay.collector_id.in_(ids), PromiseToPay.promised_on == day)
            .group_by(PromiseToPay.collector_id)
        ).all():
            out[cid]["promises"] = int(n)
        for cid, amt in s.execute(
            select(Repayment.collector_id, func.sum(Repayment.amount))
            .where(Repayment.collector_id.in_(ids), Repayment.paid_at >= lo, Repayment.paid_at < hi)
            .group_by(Repayment.collector_id)
        ).all():
            out[cid]["repaid"] = float(amt or 0)
    cur = branch_currency(s, branch.id)
    return {cid: DayStats(**out.get(cid, {}), currency=cur) for cid in employee_ids}


@dataclass(frozen=True)
class DayStatus:
    """Whether a collector works on a day: `kind` is "workday", "off" (weekend or branch
    holiday) or "leave" (a leave record covers the day, or they are marked on leave)."""

    kind: str
    detail: str = ""  # the holiday's name or the leave kind

    @property
    def works(self) -> bool:
        return self.kind == "workday"


def day_status(s: Session, employee_id: int, day: date) -> DayStatus:
    """The same rules as the morning job (`recipients` and the branch calendar), for one
    person: /plan and `coachbot plan` say so instead of printing a plan."""
    from coaching.calendar import branch_info, is_workday
    from db.models import Holiday

    emp = s.get(Employee, employee_id)
    if emp is None:
        raise LookupError(employee_id)
    leave = s.execute(
        select(Leave.kind)
        .where(Leave.employee_id == employee_id, Leave.start_date <= day, Leave.end_date >= day)
        .limit(1)
    ).scalar_one_or_none()
    if leave is not None:
        return DayStatus("leave", leave)
    if emp.status == EmployeeStatus.ON_LEAVE:
        return DayStatus("leave", "on_leave")
    branch = branch_info(emp.branch)
    if not is_workday(s, branch, day):
        name = s.execute(
            select(Holiday.name).where(Holiday.branch_id == branch.id, Holiday.day == day)
        ).scalar_one_or_none()
        return DayStatus("off", name or "")
    return DayStatus("workday")


def plan_day(
    s: Session, employee_id: int, day: date, now: datetime, cfg_for: Any
) -> tuple[DayStatus, Plan | None, DayPlan]:
    """(the collector's day status, the plan — None unless they work that day, its config)."""
    from coaching.calendar import branch_info

    status = day_status(s, employee_id, day)
    emp = s.get(Employee, employee_id)
    assert emp is not None
    branch = branch_info(emp.branch)
    cfg = cfg_for(branch)
    if not status.works:
        return status, None, cfg
    return status, plan_for(s, employee_id, branch, day, now, cfg), cfg


def plan_view(
    s: Session, employee_id: int, day: date, now: datetime, cfg_for: Any
) -> tuple[bool, Plan | None, DayPlan]:
    """(is the day a working day for the branch, the plan, its config) for one collector.

    `cfg_for(branch_info) -> DayPlan` picks the branch's configuration."""
    from coaching.calendar import branch_info, is_workday

    emp = s.get(Employee, employee_id)
    if emp is None:
        raise LookupError(employee_id)
    branch = branch_info(emp.branch)
    cfg = cfg_for(branch)
    return is_workday(s, branch, day), plan_for(s, employee_id, branch, day, now, cfg), cfg
