"""The month's aggregates per collector, in ONE SQL statement.

One aggregate query per source table (cases, repayments, calls, complaints, QA findings,
assessment results, promises, costs), each grouped by collector and LEFT JOINed onto the
branch's collectors. Amounts are summed as integer cents per bucket, so the Python side
(rules.py) works on exact `Decimal`s and never walks the calls or repayments themselves.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Float, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo
from coaching.scoring.config import ScoringConfig
from coaching.scoring.rules import spec_months
from db.models import (
    AssessmentResult,
    Call,
    Case,
    CollectorCost,
    Complaint,
    Employee,
    EmployeeRole,
    PromiseToPay,
    QaFinding,
    Repayment,
)
from db.models.work import BUCKETS


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(m: date, n: int) -> date:
    y, mo = divmod(m.year * 12 + (m.month - 1) + n, 12)
    return date(y, mo + 1, 1)


def month_end(m: date) -> date:
    """The last day of the month starting at `m`."""
    return add_months(m, 1) - timedelta(days=1)


def parse_month(text: str) -> date:
    """'YYYY-MM' → first day of that month; ValueError with a clear message otherwise."""
    try:
        y, m = text.strip().split("-")
        return date(int(y), int(m), 1)
    except ValueError:
        raise ValueError(f"month must look like YYYY-MM, got {text!r}") from None


def local_month(now: datetime, tz: str) -> date:
    return month_start(now.astimezone(ZoneInfo(tz)).date())


def month_bounds(m: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of the branch-local month, in UTC."""
    z = ZoneInfo(tz)
    start = datetime.combine(m, time(0), z).astimezone(UTC)
    end = datetime.combine(add_months(m, 1), time(0), z).astimezone(UTC)
    return start, end


def _cents(col):  # type: ignore[no-untyped-def]
    """An amount as integer cents, so sums are exact on SQLite (REAL) and PostgreSQL alike."""
    return cast(func.round(col * 100), BigInteger)


def _per_bucket(bucket_col, value, prefix: str):  # type: ignore[no-untyped-def]
    return [
        func.sum(case((bucket_col == b, value), else_=0)).label(f"{prefix}{i}")
        for i, b in enumerate(BUCKETS)
    ]


def _collectors(branch_id: int, first: date, last: date):  # type: ignore[no-untyped-def]
    """Collectors of a branch employed at some point of the month [first, last]."""
    lead = exists().where(EmployeeRole.employee_id == Employee.id, EmployeeRole.role == "team_lead")
    return (
        select(
            Employee.id.label("eid"),
            Employee.employee_no,
            Employee.name,
            Employee.team_id,
            Employee.hire_date,
            lead.label("is_lead"),
        )
        .where(
            Employee.branch_id == branch_id,
            Employee.hire_date <= last,
            or_(Employee.left_on.is_(None), Employee.left_on >= first),
            Employee.id.in_(
                select(EmployeeRole.employee_id).where(EmployeeRole.role == "collector")
            ),
        )
        .subquery("emp")
    )


def raw_rows(
    s: Session, cfg: ScoringConfig, branch: BranchInfo, month: date
) -> list[dict[str, object]]:
    """One row per collector with the month's aggregates (one SQL statement)."""
    first, last = month, month_end(month)
    start, end = month_bounds(month, branch.timezone)
    base_start, _ = month_bounds(add_months(month, -spec_months(cfg, branch.code)), branch.timezone)
    emp = _collectors(branch.id, first, last)
    f = Float()

    asg = (
        select(
            Case.collector_id.label("eid"),
            func.count().label("cases"),
            *_per_bucket(Case.bucket, _cents(Case.amount_owed), "a"),
        )
        .where(Case.assigned_on <= last, or_(Case.closed_on.is_(None), Case.closed_on >= first))
        .group_by(Case.collector_id)
        .subquery("asg")
    )
    pay = (
        select(
            Repayment.collector_id.label("eid"),
            *_per_bucket(Case.bucket, _cents(Repayment.amount), "r"),
        )
        .join(Case, Case.id == Repayment.case_id)
        .where(Repayment.paid_at >= start, Repayment.paid_at < end)
        .group_by(Repayment.collector_id)
        .subquery("pay")
    )
    # One pass over the month's calls: per (collector, case), then per collector with the
    # case's bucket (cases handled per bucket, for the per-case complaint rate and cost).
    worked = (
        select(
            Call.collector_id.label("eid"),
            Call.case_id.label("cid"),
            func.count().label("n"),
            func.sum(case((Call.outcome != "no_answer", 1), else_=0)).label("conn"),
        )
        .where(Call.started_at >= start, Call.started_at < end)
        .group_by(Call.collector_id, Call.case_id)
        .subquery("worked")
    )
    calls = (
        select(
            worked.c.eid,
            func.sum(worked.c.n).label("calls"),
            func.sum(worked.c.conn).label("connected"),
            *[
                func.sum(case((Case.bucket == b, 1), else_=0)).label(f"h{i}")
                for i, b in enumerate(BUCKETS)
            ],
        )
        .join(Case, Case.id == worked.c.cid)
        .group_by(worked.c.eid)
        .subquery("cl")
    )
    cmp = (
        select(Complaint.collector_id.label("eid"), func.count().label("complaints"))
        .where(Complaint.received_at >= start, Complaint.received_at < end)
        .group_by(Complaint.collector_id)
        .subquery("cmp")
    )
    qa = (
        select(
            QaFinding.collector_id.label("eid"),
            func.sum(case((QaFinding.severity == "minor", 1), else_=0)).label("minors"),
            func.sum(case((QaFinding.severity == "major", 1), else_=0)).label("majors"),
        )
        .where(QaFinding.found_at >= start, QaFinding.found_at < end)
        .group_by(QaFinding.collector_id)
        .subquery("qa")
    )
    this = AssessmentResult.at >= start
    sk = (
        select(
            AssessmentResult.employee_id.label("eid"),
            func.avg(case((this, AssessmentResult.score)), type_=f).label("skills_avg"),
            func.sum(case((this, 1), else_=0)).label("skills_n"),
            func.avg(case((~this, AssessmentResult.score)), type_=f).label("skills_prev_avg"),
            func.sum(case((~this, 1), else_=0)).label("skills_prev_n"),
        )
        .where(AssessmentResult.at >= base_start, AssessmentResult.at < end)
        .group_by(AssessmentResult.employee_id)
        .subquery("sk")
    )
    ptp = (
        select(
            PromiseToPay.collector_id.label("eid"),
            func.sum(case((PromiseToPay.status == "kept", 1), else_=0)).label("ptp_kept"),
            func.sum(case((PromiseToPay.status == "broken", 1), else_=0)).label("ptp_broken"),
        )
        .where(PromiseToPay.due_date >= first, PromiseToPay.due_date <= last)
        .group_by(PromiseToPay.collector_id)
        .subquery("ptp")
    )
    cost = (
        select(
            CollectorCost.employee_id.label("eid"),
            func.sum(_cents(CollectorCost.amount)).label("cost"),
            func.count().label("cost_n"),
        )
        .where(CollectorCost.month == first)
        .group_by(CollectorCost.employee_id)
        .subquery("cost")
    )
    subs = (asg, pay, calls, cmp, qa, sk, ptp, cost)
    cols = [c for sq in subs for c in sq.c if c.name != "eid"]
    stmt = select(emp.c.eid, emp.c.employee_no, emp.c.name, emp.c.team_id, emp.c.is_lead, *cols)
    stmt = stmt.select_from(emp)
    for sq in subs:
        stmt = stmt.outerjoin(sq, sq.c.eid == emp.c.eid)
    rows = [dict(r) for r in s.execute(stmt).mappings()]
    # Majors are rare: fetch their reasons only for the collectors that have one.
    vetoed = [r["eid"] for r in rows if r["majors"]]
    if vetoed:
        reasons: dict[int, str] = {}
        for eid, rule, note in s.execute(
            select(QaFinding.collector_id, QaFinding.rule, QaFinding.note)
            .where(
                QaFinding.collector_id.in_(vetoed),
                QaFinding.severity == "major",
                QaFinding.found_at >= start,
                QaFinding.found_at < end,
            )
            .order_by(QaFinding.found_at, QaFinding.id)
        ):
            reasons.setdefault(eid, f"{rule}: {note}" if note else rule)
        for r in rows:
            r["veto_reason"] = reasons.get(r["eid"], "")  # type: ignore[call-overload]
    return rows
