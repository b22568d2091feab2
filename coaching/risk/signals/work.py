"""Work signals: falling scores, more leave, the tenure window."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import and_, case, func, select

from coaching.risk.signals.base import (
    Hit,
    Query,
    SignalOutput,
    _clip,
    _month_start,
    signal,
)
from db.models import (
    Leave,
    Repayment,
    ScoreSnapshot,
)

# --- performance ---------------------------------------------------------------------------


@signal("score_falling", "talk", "workload")
def score_falling(q: Query) -> SignalOutput:
    """Monthly score falling `min_months` months in a row (from ScoreSnapshot); without
    snapshots, the monthly repaid amount from raw repayments (documented fallback)."""
    out = SignalOutput()
    months = int(q.p("months", 3))
    need = int(q.p("min_months", 2))
    # Complete months only: those that ended on or before as_of.
    first_incomplete = _month_start(q.as_of + timedelta(days=1))
    starts = [_month_start(first_incomplete, k) for k in range(months + 1, 0, -1)]
    rows = q.s.execute(
        select(ScoreSnapshot.employee_id, ScoreSnapshot.month, ScoreSnapshot.total).where(
            ScoreSnapshot.employee_id.in_(q.ids),
            ScoreSnapshot.month >= starts[0],
            ScoreSnapshot.month < first_incomplete,
            ScoreSnapshot.total.is_not(None),
            # A vetoed month is a compliance event (complaints_spike sees it), not a trend.
            ScoreSnapshot.vetoed.is_(False),
        )
    ).all()
    series: dict[int, dict[date, float]] = defaultdict(dict)
    for emp, month, total in rows:
        series[emp][month] = float(total)
    min_drop = float(q.p("min_drop", 2.0))
    for emp, by_month in series.items():
        vals = [by_month[m] for m in starts if m in by_month]
        falls = _falls(vals, lambda a, b: a - b >= min_drop)
        if falls >= need:
            out.hits[emp] = Hit(
                _clip(falls / months),
                "score_falling",
                {"months": falls, "from": round(vals[-falls - 1]), "to": round(vals[-1])},
            )
    rest = [i for i in q.ids if i not in series]
    if not rest:
        return out
    if q.p("fallback", "repayments") != "repayments":
        out.no_data.update(rest)
        return out
    out.note = (
        f"fallback for {len(rest)} of {len(q.ids)} people without score snapshots: "
        "repaid amount per 30 days"
    )
    # Rolling 30-day windows ending on as_of: responsive mid-month, unlike calendar months.
    bounds = [q.as_of + timedelta(days=1 - 30 * k) for k in range(months + 1, -1, -1)]
    sums = [
        func.sum(
            case(
                (
                    and_(Repayment.paid_at >= q.utc(a), Repayment.paid_at < q.utc(b)),
                    Repayment.amount,
                ),
                else_=0,
            )
        )
        for a, b in itertools.pairwise(bounds)
    ]
    amounts = {
        r[0]: [float(x or 0) for x in r[1:]]
        for r in q.s.execute(
            select(Repayment.collector_id, *sums)
            .where(
                Repayment.collector_id.in_(rest),
                Repayment.paid_at >= q.utc(bounds[0]),
                Repayment.paid_at < q.utc(bounds[-1]),
            )
            .group_by(Repayment.collector_id)
        ).all()
    }
    pct = float(q.p("min_drop_pct", 10)) / 100
    for emp in rest:
        person = q.people[emp]
        vals = amounts.get(emp)
        # Only people employed through the whole window: a first partial month isn't a trend.
        if vals is None or person.hire_date > bounds[0]:
            out.no_data.add(emp)
            continue
        falls = _falls(vals, lambda a, b: a > 0 and (a - b) / a >= pct)
        if falls >= need:
            drop = round(100 * (vals[-falls - 1] - vals[-1]) / vals[-falls - 1])
            out.hits[emp] = Hit(
                _clip(falls / months), "recovery_falling", {"months": falls, "drop": drop}
            )
    return out


def _falls(vals: list[float], fell: Callable[[float, float], bool]) -> int:
    """Consecutive falls ending at the latest value."""
    n = 0
    for i in range(len(vals) - 1, 0, -1):
        if fell(vals[i - 1], vals[i]):
            n += 1
        else:
            break
    return n


# --- leave ---------------------------------------------------------------------------------


def _overlap(a0: date, a1: date, b0: date, b1: date) -> int:
    return max(0, (min(a1, b1) - max(a0, b0)).days + 1)


@signal("leave_increase", "talk", "workload")
def leave_increase(q: Query) -> SignalOutput:
    out = SignalOutput()
    recent0 = q.as_of - timedelta(days=29)
    base0 = q.as_of - timedelta(days=119)
    base1 = recent0 - timedelta(days=1)
    rows = q.s.execute(
        select(Leave.employee_id, Leave.start_date, Leave.end_date).where(
            Leave.employee_id.in_(q.ids),
            Leave.end_date >= base0,
            Leave.start_date <= q.as_of,
        )
    ).all()
    recent: dict[int, int] = defaultdict(int)
    base: dict[int, int] = defaultdict(int)
    for emp, a, b in rows:
        recent[emp] += _overlap(a, b, recent0, q.as_of)
        base[emp] += _overlap(a, b, base0, base1)
    min_days = int(q.p("min_days", 2))
    ratio = float(q.p("ratio", 1.5))
    full = float(q.p("full_at_extra_days", 4))
    for emp, days in recent.items():
        hired = q.people[emp].hire_date
        employed = _overlap(hired, base1, base0, base1)
        rate = base[emp] / employed * 30 if employed >= 30 else 0.0
        if days >= min_days and days > ratio * rate:
            out.hits[emp] = Hit(
                _clip((days - rate) / full),
                "leave_increase",
                {"days": days, "baseline": round(rate, 1)},
            )
    return out


# --- tenure --------------------------------------------------------------------------------


@signal("tenure", "mentor", "talk")
def tenure(q: Query) -> SignalOutput:
    out = SignalOutput()
    new_days = int(q.p("new_hire_days", 30))
    lo, hi = q.p("window_months", [6, 12])
    for emp, person in q.people.items():
        days = (q.as_of - person.hire_date).days
        if days < new_days:
            out.hits[emp] = Hit(1.0, "tenure_new", {"days": days + 1})
        elif round(lo * 30.44) <= days < round(hi * 30.44):
            out.hits[emp] = Hit(
                _clip(float(q.p("window_strength", 0.7))),
                "tenure_window",
                {"months": int(days // 30.44), "lo": lo, "hi": hi},
            )
    return out
