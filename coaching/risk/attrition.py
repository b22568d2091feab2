"""Attrition analytics: leavers / average headcount, monthly and quarterly, by branch, team
and tenure band, and exit reasons by category; PNG charts with matplotlib (Agg).

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
from pathlib import Path

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


def chart(rep: Report, path: Path, *, locale: str | None = None) -> Path:
    """Four panels: monthly and quarterly rate by branch, rate by tenure band, exit reasons.
    Labels in the reader's language; the running month/quarter is hatched and labelled."""
    from coaching import chartkit as ck
    from coaching.chartkit import label

    def rate(rs: list[Rate], g: str) -> float:
        return 100 * (next(r for r in rs if r.group == g).rate or 0)

    def tick(p: Period) -> str:
        return label(locale, "partial_tick", label=p.label) if p.partial else p.label

    with ck.LOCK:
        fig, axes = ck.new_figure(2, 2, figsize=(10, 7.4), dpi=90)
        try:
            (a1, a2), (a3, a4) = axes
            groups = [r.group for r in rep.monthly[0][1]] if rep.monthly else []
            gname = {g: label(locale, "names.group", g=g) for g in groups}
            xs = list(range(len(rep.monthly)))
            for i, g in enumerate(groups):
                colour = ck.SERIES[i % len(ck.SERIES)]
                ys = [rate(rs, g) for _, rs in rep.monthly]
                a1.plot(xs, ys, marker="o", color=colour, label=gname[g])
                for x, (p, _) in zip(xs, rep.monthly, strict=True):
                    if p.partial:  # hollow marker: the month is not over
                        a1.plot(
                            [x],
                            [ys[x]],
                            marker="o",
                            markersize=9,
                            markerfacecolor="white",
                            markeredgecolor=colour,
                        )
            for x, (p, _) in zip(xs, rep.monthly, strict=True):
                if p.partial:
                    a1.axvspan(
                        x - 0.4,
                        x + 0.4,
                        facecolor="none",
                        edgecolor="#8c959f",
                        hatch=ck.PARTIAL_HATCH,
                        linewidth=0,
                        alpha=0.35,
                    )
            a1.set_xticks(xs, [tick(p) for p, _ in rep.monthly])
            a1.set_title(label(locale, "monthly_title"))
            a1.set_ylim(bottom=0)
            a1.tick_params(axis="x", labelrotation=45, labelsize=7)
            ck.partial_note(a1, locale)
            width = 0.8 / max(1, len(groups))
            for i, g in enumerate(groups):
                ck.bars(
                    a2,
                    [x + i * width for x in range(len(rep.quarterly))],
                    [rate(rs, g) for _, rs in rep.quarterly],
                    width=width,
                    colours=ck.SERIES[i % len(ck.SERIES)],
                    partial=[p.partial for p, _ in rep.quarterly],
                    limit=max([rate(rs, g) for _, rs in rep.quarterly] + [10]),
                    fmt="{:.1f}",
                    label_text=gname[g],
                )
            a2.set_xticks(
                [x + width * (len(groups) - 1) / 2 for x in range(len(rep.quarterly))],
                [tick(p) for p, _ in rep.quarterly],
                fontsize=8,
            )
            a2.set_title(label(locale, "quarterly_title"))
            ck.partial_note(a2, locale)
            tenure = [r for r in rep.by_tenure if r.group != "all"]
            vals = [100 * (r.rate or 0) for r in tenure]
            ck.bars(
                a3, range(len(tenure)), vals, colours=ck.BAD, fmt="{:.1f}", limit=max([*vals, 10])
            )
            a3.set_xticks(
                range(len(tenure)),
                [label(locale, "names.band", b=r.group) for r in tenure],
                fontsize=8,
            )
            a3.set_title(label(locale, "tenure_title"))
            counts = list(rep.reasons.values())
            ck.bars(a4, range(len(counts)), counts, colours=ck.NEUTRAL, limit=max([*counts, 5]))
            a4.set_xticks(
                range(len(counts)),
                [label(locale, "names.reason_category", c=c) for c in rep.reasons],
                fontsize=8,
            )
            a4.set_ylabel(label(locale, "people_axis"))
            a4.set_title(label(locale, "reasons_title"))
            fig.suptitle(
                label(locale, "attrition_title", scope=rep.scope, day=rep.today.isoformat())
            )
            fig.tight_layout()
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, format="png")
        finally:
            ck.close(fig)
    return path
