"""Attrition analytics: leavers / average headcount, monthly and quarterly, by branch, team
and tenure band, and exit reasons by category; the chart is drawn by bot/charts/attrition.py.

Population: employees with the collector role. Employment is a set of stints — the current
one (hire_date … left_on) plus every earlier stint closed by an exit record and a rehire.
Headcount on day d = stints with start ≤ d and (no end or end > d); leavers in a period =
stints ending inside it; average headcount = mean of the headcounts the day before the period
starts and at each month-end inside it (for a month: (start + end) / 2). The current
month/quarter runs to today (marked as partial).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Branch, Employee, EmployeeRole, ExitRecord, Team
from db.models.org import EmployeeStatus

BANDS = ("0-1m", "1-6m", "6-12m", "1-2y", "2y+")
REASONS = ("personal", "internal", "external", "unrecorded")


def band(days: int) -> str:
    if days < 30:
        return BANDS[0]
    if days < 183:
        return BANDS[1]
    if days < 365:
        return BANDS[2]
    if days < 730:
        return BANDS[3]
    return BANDS[4]


@dataclass(frozen=True)
class Stint:
    employee_id: int
    branch: str
    team: str
    start: date
    end: date | None  # last day worked
    category: str | None = None


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # inclusive
    partial: bool = False


@dataclass(frozen=True)
class Rate:
    group: str
    leavers: int
    avg_headcount: float

    @property
    def rate(self) -> float | None:
        return self.leavers / self.avg_headcount if self.avg_headcount else None


@dataclass
class Report:
    today: date
    scope: str
    monthly: list[tuple[Period, list[Rate]]] = field(default_factory=list)
    quarterly: list[tuple[Period, list[Rate]]] = field(default_factory=list)
    trailing: Period | None = None
    by_team: list[Rate] = field(default_factory=list)
    by_tenure: list[Rate] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)


def stints(s: Session, branch_ids: set[int] | None = None) -> list[Stint]:
    q = (
        select(Employee, Branch.code, Team.code)
        .join(EmployeeRole, EmployeeRole.employee_id == Employee.id)
        .join(Branch, Branch.id == Employee.branch_id)
        .outerjoin(Team, Team.id == Employee.team_id)
        .where(EmployeeRole.role == "collector")
    )
    if branch_ids is not None:
        q = q.where(Employee.branch_id.in_(branch_ids))
    emps = {e.id: (e, b, t or "-") for e, b, t in s.execute(q).all()}
    records = s.execute(
        select(ExitRecord)
        .where(ExitRecord.status == "recorded", ExitRecord.employee_id.in_(list(emps)))
        .order_by(ExitRecord.id)
    ).scalars()
    out: list[Stint] = []
    current_category: dict[int, str | None] = {}
    for r in records:
        e, b, t = emps[r.employee_id]
        if r.rehired_on is not None:
            out.append(Stint(e.id, b, t, r.stint_start, r.last_day, r.reason_category))
        else:
            current_category[e.id] = r.reason_category
    for e, b, t in emps.values():
        end = e.left_on if e.status == EmployeeStatus.LEFT else None
        if e.status == EmployeeStatus.LEFT and end is None:
            continue  # left with no date: cannot be placed in time
        out.append(Stint(e.id, b, t, e.hire_date, end, current_category.get(e.id)))
    return out


def _headcount(rows: list[Stint], d: date, key: Callable[[Stint, date], str]) -> Counter[str]:
    c: Counter[str] = Counter()
    for st in rows:
        if st.start <= d and (st.end is None or st.end > d):
            c[key(st, d)] += 1
    return c


def rates(
    rows: list[Stint], p: Period, key: Callable[[Stint, date], str], groups: list[str]
) -> list[Rate]:
    # Average headcount: mean of the headcounts the day before the period and at each
    # month-end inside it (for a month simply (start + end) / 2).
    points = [p.start - timedelta(days=1)]
    d = _month(p.start, -1) - timedelta(days=1)
    while d < p.end:
        points.append(d)
        d = _month(d, -2) - timedelta(days=1)
    points.append(p.end)
    counts = [_headcount(rows, x, key) for x in points]
    leavers: Counter[str] = Counter(
        key(st, st.end) for st in rows if st.end is not None and p.start <= st.end <= p.end
    )
    out = [Rate(g, leavers[g], round(sum(c[g] for c in counts) / len(counts), 2)) for g in groups]
    total = round(sum(sum(c.values()) for c in counts) / len(counts), 2)
    out.append(Rate("all", sum(leavers.values()), total))
    return out


def _month(d: date, back: int) -> date:
    """First day of the month `back` months before d's (negative: after)."""
    y, m = divmod(d.year * 12 + d.month - 1 - back, 12)
    return date(y, m + 1, 1)


def months(today: date, n: int) -> list[Period]:
    out = []
    for k in range(n - 1, -1, -1):
        a = _month(today, k)
        b = _month(a, -1) - timedelta(days=1)
        out.append(Period(a.strftime("%Y-%m"), a, min(b, today), partial=b > today))
    return out


def quarters(today: date, n: int) -> list[Period]:
    q0 = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    out = []
    for k in range(n - 1, -1, -1):
        a = _month(q0, 3 * k)
        b = _month(a, -3) - timedelta(days=1)
        label = f"{a.year}Q{(a.month - 1) // 3 + 1}"
        out.append(Period(label, a, min(b, today), partial=b > today))
    return out


def report(
    s: Session,
    today: date,
    branch_ids: set[int] | None = None,
    *,
    n_months: int = 6,
    n_quarters: int = 4,
    scope: str = "",
) -> Report:
    rows = stints(s, branch_ids)
    branches = sorted({st.branch for st in rows})
    teams = sorted({st.team for st in rows if st.team != "-"})
    by_branch: Callable[[Stint, date], str] = lambda st, d: st.branch  # noqa: E731
    by_team: Callable[[Stint, date], str] = lambda st, d: st.team  # noqa: E731
    by_band: Callable[[Stint, date], str] = lambda st, d: band((d - st.start).days)  # noqa: E731
    rep = Report(today=today, scope=scope or ", ".join(branches) or "-")
    rep.monthly = [(p, rates(rows, p, by_branch, branches)) for p in months(today, n_months)]
    rep.quarterly = [(p, rates(rows, p, by_branch, branches)) for p in quarters(today, n_quarters)]
    trailing = Period("12m", today - timedelta(days=364), today)
    rep.trailing = trailing
    rep.by_team = rates(rows, trailing, by_team, teams)
    rep.by_tenure = rates(rows, trailing, by_band, list(BANDS))
    reasons: dict[str, int] = defaultdict(int)
    for st in rows:
        if st.end is not None and trailing.start <= st.end <= trailing.end:
            reasons[st.category or "unrecorded"] += 1
    rep.reasons = {r: reasons.get(r, 0) for r in REASONS}
    return rep
