"""Demo extension: a year of attrition history so the risk backtest has something to learn.

The foundation demo has three months of activity and six leavers. This adds, for the same
firm: ~15 months of older monthly repayments and baseline leave for everyone (with the odd
random leave spike or complaint, so stayers sometimes look risky too), 26 former collectors
who left 3–15 months ago — most with warning signs before they went (falling recovery, more
leave, complaints; new hires and 6–12-month tenures over-represented), some without — and an
exit record (reason category, detail, handover, interview notes) for every leaver.
"""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from bot.context import AppContext
from coaching.privacy import debtor_key
from db.models import (
    Case,
    Complaint,
    Employee,
    EmployeeRole,
    ExitRecord,
    Leave,
    Repayment,
)
from db.models.org import EmployeeStatus

DETAILS = {
    "personal": ["家庭原因回老家", "身体原因需要休养", "转行做销售", "继续读书深造"],
    "internal": ["薪酬低于预期", "考核压力太大", "晋升空间有限", "与组长沟通不顺"],
    "external": ["同行高薪挖角", "监管收紧行业前景不明", "跳槽到银行"],
}
N_FORMER = 26
HANDOVER = ["案件移交组长", "未结承诺还款清单", "工牌与设备归还", "系统账号停用"]


def extend_demo(ctx: AppContext, world: Any) -> str:
    s, rng, today = world.session, world.rng, world.today
    pii = ctx.settings.pii_hmac_key
    history_start = today - timedelta(days=455)
    base_start = today - timedelta(days=91)
    tz = {b.id: ZoneInfo(b.timezone) for b in world.branches.values()}

    cases: dict[int, list[int]] = {}
    for cid, case_id in s.execute(select(Case.collector_id, Case.id)).all():
        cases.setdefault(cid, []).append(case_id)
    monthly = {
        cid: float(total) / 3
        for cid, total in s.execute(
            select(Repayment.collector_id, func.sum(Repayment.amount)).group_by(
                Repayment.collector_id
            )
        ).all()
    }
    typical = statistics.median(monthly.values()) if monthly else 100000.0

    pays: list[dict[str, Any]] = []
    leaves: list[dict[str, Any]] = []
    complaints: list[dict[str, Any]] = []
    seen_leave: set[tuple[int, date]] = set()

    def add_leave(emp_id: int, start: date, days: int, kind: str) -> None:
        if (emp_id, start) in seen_leave:
            return
        seen_leave.add((emp_id, start))
        leaves.append(
            dict(
                employee_id=emp_id,
                start_date=start,
                end_date=start + timedelta(days=days - 1),
                kind=kind,
            )
        )

    def activity(
        emp: Employee, start: date, end: date, mean: float, decline_from: date | None
    ) -> None:
        """Repayments on workdays, a month-level wobble, falling after `decline_from`."""
        zone = tz[emp.branch_id]
        factor: dict[tuple[int, int], float] = {}
        d = start
        while d <= end:
            if d.isoweekday() <= 5:
                f = factor.setdefault((d.year, d.month), max(0.5, rng.gauss(1.0, 0.12)))
                if decline_from and d >= decline_from:
                    f *= max(0.25, 1 - 0.3 * ((d - decline_from).days / 30 + 0.5))
                if rng.random() < 0.6:
                    amount = mean / 13 * f * rng.lognormvariate(0, 0.35)
                    pays.append(
                        dict(
                            ref=f"HRPAY{len(pays) + 1:07d}",
                            case_id=rng.choice(cases[emp.id]),
                            collector_id=emp.id,
                            amount=Decimal(f"{amount:.2f}"),
                            paid_at=datetime.combine(d, time(rng.randint(9, 19)), zone).astimezone(
                                UTC
                            ),
                        )
                    )
            d += timedelta(days=1)
        # Baseline leave: a day or two a quarter; a random spike now and then.
        d = start
        while d <= end:
            for _ in range(rng.choice([0, 0, 1, 1, 2])):
                add_leave(emp.id, d + timedelta(days=rng.randint(0, 80)), 1, "annual")
            d += timedelta(days=90)
        for m0 in range(0, (end - start).days, 30):
            if rng.random() < 0.05:
                add_leave(emp.id, start + timedelta(days=m0 + rng.randint(0, 25)), 3, "personal")
            if rng.random() < 0.08:
                for _ in range(rng.choice([1, 1, 2])):
                    at = start + timedelta(days=m0 + rng.randint(0, 29))
                    complaints.append(_complaint(emp, at, zone, len(complaints), rng))

    # Older history for the existing collectors (before the foundation's three months).
    for emp in world.collectors:
        end = min(base_start - timedelta(days=1), emp.left_on or today)
        start = max(emp.hire_date, history_start)
        if start <= end and emp.id in cases:
            activity(emp, start, end, monthly.get(emp.id, typical), None)

    # Former collectors who left 3–15 months ago.
    used = {n for (n,) in s.execute(select(Employee.name)).all()}
    leavers = [e for e in world.collectors if e.status == EmployeeStatus.LEFT]
    for j in range(N_FORMER):
        team = rng.choice(world.teams)
        left_on = today - timedelta(days=rng.randint(95, 440))
        r = rng.random()
        tenure = (
            rng.randint(8, 29)
            if r < 0.22
            else rng.randint(185, 360)
            if r < 0.55
            else rng.randint(400, 1500)
        )
        name = _name(rng, used)
        emp = Employee(
            employee_no=f"C{101 + j:04d}",
            name=name,
            branch_id=team.branch_id,
            team_id=team.id,
            hire_date=left_on - timedelta(days=tenure),
            status=EmployeeStatus.LEFT,
            left_on=left_on,
        )
        emp.role_rows = [EmployeeRole(role="collector")]
        s.add(emp)
        s.flush()
        leavers.append(emp)
        cases[emp.id] = []
        for k in range(3):
            dpd = rng.randint(1, 200)
            c = Case(
                case_ref=f"HRCASE{j:03d}{k}",
                collector_id=emp.id,
                debtor_key=debtor_key(pii, f"hr-demo-{j}-{k}"),
                amount_owed=Decimal(rng.randint(5, 120) * 1000),
                days_overdue=dpd,
                bucket="M1" if dpd <= 30 else "M2",
                assigned_on=emp.hire_date,
                closed_on=left_on,
            )
            s.add(c)
            s.flush()
            cases[emp.id].append(c.id)
        warned = rng.random() < 0.7
        zone = tz[emp.branch_id]
        activity(
            emp,
            max(emp.hire_date, history_start),
            left_on,
            typical * max(0.4, rng.gauss(0.9, 0.25)),
            left_on - timedelta(days=rng.randint(75, 100)) if warned else None,
        )
        if warned:
            if rng.random() < 0.75:
                add_leave(emp.id, left_on - timedelta(days=rng.randint(8, 25)), 4, "personal")
            if rng.random() < 0.5:
                for _ in range(rng.randint(2, 3)):
                    at = left_on - timedelta(days=rng.randint(1, 28))
                    complaints.append(_complaint(emp, at, zone, len(complaints), rng))

    if pays:
        s.execute(insert(Repayment), pays)
    existing = set(s.execute(select(Leave.employee_id, Leave.start_date, Leave.kind)).all())
    fresh = [x for x in leaves if (x["employee_id"], x["start_date"], x["kind"]) not in existing]
    if fresh:
        s.execute(insert(Leave), fresh)
    if complaints:
        s.execute(insert(Complaint), complaints)

    # An exit record for every leaver: reason category, detail, handover, interview notes.
    for emp in leavers:
        cat = rng.choices(["personal", "internal", "external"], [0.4, 0.45, 0.15])[0]
        s.add(
            ExitRecord(
                employee_id=emp.id,
                status="recorded",
                stint_start=emp.hire_date,
                last_day=emp.left_on,
                reason_category=cat,
                detail=rng.choice(DETAILS[cat]),
                handover=rng.sample(HANDOVER, 3),
                interview_notes="离职面谈已完成；愿意考虑返聘"
                if rng.random() < 0.3
                else "离职面谈已完成",
                recorded_by_id=world.hr[0].id if world.hr else None,
                recorded_at=datetime.combine(emp.left_on - timedelta(days=14), time(10), UTC),
            )
        )
    s.flush()
    return (
        f"hr history: {len(pays)} older repayments, {len(fresh)} leave records, "
        f"{len(complaints)} complaints, {N_FORMER} more former collectors, "
        f"{len(leavers)} exit records"
    )


def _complaint(emp: Employee, d: date, zone: ZoneInfo, n: int, rng: Any) -> dict[str, Any]:
    return dict(
        ref=f"HRCMP{n + 1:05d}",
        collector_id=emp.id,
        case_id=None,
        received_at=datetime.combine(d, time(15), zone).astimezone(UTC),
        category=rng.choice(["态度", "频繁来电", "其他"]),
    )


def _name(rng: Any, used: set[str]) -> str:
    from bot.demo import GIVEN, SURNAMES

    while True:
        n = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        if n not in used:
            used.add(n)
            return n
