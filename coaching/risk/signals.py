"""Attrition-risk signals: a registry of functions, each scoring every person at once.

A signal takes a `Query` (session, branch-local `as_of` date, the people, its own config
section) and returns a `SignalOutput`: a `Hit` (strength 0..1 plus the numbers its reason
text needs) for each person it fires for, the people it has no data on, and — when its data
source is not built — `unavailable`, which the CLI and docs show. New signals register with
`@signal("name")`; their weight and thresholds come from `config/risk.yaml`.
"""

from __future__ import annotations

import importlib
import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from db.models import (
    AssessmentResult,
    Complaint,
    Employee,
    Holiday,
    Leave,
    QaFinding,
    Repayment,
    ScoreSnapshot,
    TelegramBinding,
)


@dataclass(frozen=True)
class Person:
    id: int
    employee_no: str
    name: str
    branch_id: int
    team_id: int | None
    hire_date: date
    left_on: date | None


@dataclass
class Query:
    s: Session
    as_of: date
    tz: ZoneInfo
    branch_id: int
    workdays: frozenset[int]
    people: dict[int, Person]
    params: dict[str, Any]
    # Replaying the past: signals without history (bot activity) report "no data".
    historical: bool = False

    @property
    def ids(self) -> list[int]:
        return list(self.people)

    def utc(self, d: date) -> datetime:
        """Start of branch-local day `d`, in UTC."""
        return datetime.combine(d, time(0), self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """End of the `as_of` day (exclusive), in UTC."""
        return self.utc(self.as_of + timedelta(days=1))

    def p(self, key: str, default: Any) -> Any:
        return self.params.get(key, default)


@dataclass(frozen=True)
class Hit:
    strength: float
    # Reason template suffix (hr.reason_<key>) and its parameters.
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class SignalOutput:
    hits: dict[int, Hit] = field(default_factory=dict)
    no_data: set[int] = field(default_factory=set)
    # Why the whole signal was skipped, e.g. "source not built yet".
    unavailable: str | None = None
    note: str = ""


SignalFn = Callable[[Query], SignalOutput]
SIGNALS: dict[str, SignalFn] = {}
# Suggested actions per reason key (hr.action_<name> templates).
ACTIONS: dict[str, tuple[str, ...]] = {}


def signal(name: str, *actions: str) -> Callable[[SignalFn], SignalFn]:
    def deco(fn: SignalFn) -> SignalFn:
        SIGNALS[name] = fn
        ACTIONS[name] = actions
        return fn

    return deco


def _month_start(d: date, back: int = 0) -> date:
    y, m = d.year, d.month - back
    while m <= 0:
        m += 12
        y -= 1
    return date(y, m, 1)


def _clip(x: float) -> float:
    return max(0.0, min(1.0, x))


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


# --- training ------------------------------------------------------------------------------


@signal("failed_mandatory", "mentor")
def failed_mandatory(q: Query) -> SignalOutput:
    out = SignalOutput()
    since = q.utc(q.as_of - timedelta(days=int(q.p("lookback_days", 60))))
    rows = q.s.execute(
        select(
            AssessmentResult.employee_id,
            AssessmentResult.competency,
            AssessmentResult.score,
            AssessmentResult.passed,
        )
        .where(
            AssessmentResult.employee_id.in_(q.ids),
            AssessmentResult.mandatory.is_(True),
            AssessmentResult.at >= since,
            AssessmentResult.at < q.end,
        )
        .order_by(AssessmentResult.at, AssessmentResult.id)
    ).all()
    latest: dict[tuple[int, str], tuple[float, bool]] = {}
    for emp, comp, score, passed in rows:
        latest[(emp, comp)] = (score, passed)
    for (emp, _comp), (score, passed) in latest.items():
        if not passed and emp not in out.hits:
            out.hits[emp] = Hit(1.0, "failed_mandatory", {"score": round(score)})
    return out


TRAINING_SIGNALS = "coaching.training.signals"


def _training(name: str) -> Callable[..., dict[int, int]] | None:
    try:
        mod = importlib.import_module(TRAINING_SIGNALS)
    except ImportError:
        return None
    return getattr(mod, name, None)


@signal("training_lag", "mentor")
def training_lag(q: Query) -> SignalOutput:
    fn = _training("overdue_assignments")
    if fn is None:
        return SignalOutput(unavailable="source not built yet (coaching.training.signals)")
    out = SignalOutput()
    min_n = int(q.p("min_overdue", 1))
    full = float(q.p("full_at", 3))
    for emp, n in fn(q.s, q.ids, q.end).items():
        if n >= min_n and emp in q.people:
            out.hits[emp] = Hit(_clip(n / full), "training_lag", {"count": n})
    return out


@signal("unanswered_questions", "mentor")
def unanswered_questions(q: Query) -> SignalOutput:
    fn = _training("unanswered_questions")
    if fn is None:
        return SignalOutput(unavailable="source not built yet (coaching.training.signals)")
    out = SignalOutput()
    hours = int(q.p("hours", 24))
    for emp, n in fn(q.s, q.ids, q.end, hours=hours).items():
        if n >= int(q.p("min_count", 1)) and emp in q.people:
            out.hits[emp] = Hit(1.0, "unanswered", {"count": n, "hours": hours})
    return out


# --- complaints and violations -------------------------------------------------------------


@signal("complaints_spike", "counselling", "talk")
def complaints_spike(q: Query) -> SignalOutput:
    out = SignalOutput()
    recent0 = q.utc(q.as_of - timedelta(days=29))
    base0 = q.utc(q.as_of - timedelta(days=119))
    major = int(q.p("major_counts", 2))
    recent: dict[int, float] = defaultdict(float)
    base: dict[int, float] = defaultdict(float)
    for emp, at in q.s.execute(
        select(Complaint.collector_id, Complaint.received_at).where(
            Complaint.collector_id.in_(q.ids),
            Complaint.received_at >= base0,
            Complaint.received_at < q.end,
        )
    ).all():
        (recent if at >= recent0 else base)[emp] += 1
    for emp, at, sev in q.s.execute(
        select(QaFinding.collector_id, QaFinding.found_at, QaFinding.severity).where(
            QaFinding.collector_id.in_(q.ids),
            QaFinding.found_at >= base0,
            QaFinding.found_at < q.end,
        )
    ).all():
        (recent if at >= recent0 else base)[emp] += major if sev == "major" else 1
    min_n = float(q.p("min_count", 2))
    ratio = float(q.p("ratio", 1.5))
    full = float(q.p("full_at", 4))
    for emp, n in recent.items():
        rate = base[emp] / 3
        if n >= min_n and n > ratio * rate:
            out.hits[emp] = Hit(
                _clip(n / full), "complaints_spike", {"count": int(n), "baseline": round(rate, 1)}
            )
    return out


# --- colleagues ----------------------------------------------------------------------------


@signal("teammate_left", "talk")
def teammate_left(q: Query) -> SignalOutput:
    out = SignalOutput()
    days = int(q.p("days", 30))
    teams = {p.team_id for p in q.people.values() if p.team_id is not None}
    rows = q.s.execute(
        select(Employee.id, Employee.team_id).where(
            Employee.team_id.in_(teams),
            Employee.left_on.is_not(None),
            Employee.left_on > q.as_of - timedelta(days=days),
            Employee.left_on <= q.as_of,
        )
    ).all()
    left_by_team: dict[int, set[int]] = defaultdict(set)
    for emp, team in rows:
        left_by_team[team].add(emp)
    full = float(q.p("full_at", 2))
    for emp, person in q.people.items():
        n = len(left_by_team.get(person.team_id or -1, set()) - {emp})
        if n:
            out.hits[emp] = Hit(_clip(n / full), "teammate_left", {"count": n, "days": days})
    return out


# --- engagement ----------------------------------------------------------------------------


@signal("disengaged", "talk")
def disengaged(q: Query) -> SignalOutput:
    """No interaction with the bot for N working days (TelegramBinding.last_seen_at).

    Whether plans were opened is not measurable (Telegram has no read receipts), and
    last_seen_at has no history, so a replay of the past reports "no data"."""
    if q.historical:
        return SignalOutput(no_data=set(q.ids), note="no history of bot activity")
    out = SignalOutput()
    n = int(q.p("workdays", 5))
    seen = {
        emp: (last or bound)
        for emp, last, bound in q.s.execute(
            select(
                TelegramBinding.employee_id, TelegramBinding.last_seen_at, TelegramBinding.bound_at
            ).where(TelegramBinding.employee_id.in_(q.ids))
        ).all()
    }
    out.no_data = set(q.ids) - set(seen)
    start = q.as_of - timedelta(days=max(60, 3 * n))
    overrides = dict(
        q.s.execute(
            select(Holiday.day, Holiday.is_workday).where(
                Holiday.branch_id == q.branch_id, Holiday.day >= start, Holiday.day <= q.as_of
            )
        ).all()
    )
    workdays = []
    d = start
    while d <= q.as_of:
        if overrides.get(d, d.isoweekday() in q.workdays):
            workdays.append(d)
        d += timedelta(days=1)
    for emp, at in seen.items():
        last_local = at.astimezone(q.tz).date()
        # Full working days without contact; today is still under way.
        idle = sum(1 for d in workdays if last_local < d < q.as_of)
        if idle >= n:
            out.hits[emp] = Hit(_clip(0.5 + 0.5 * (idle - n) / n), "disengaged", {"days": idle})
    return out
