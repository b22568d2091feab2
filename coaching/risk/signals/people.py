"""People signals: training, complaints and violations, colleagues leaving, disengagement."""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from coaching.risk.signals.base import (
    Hit,
    Query,
    SignalOutput,
    _clip,
    signal,
)
from db.models import (
    AssessmentResult,
    Complaint,
    Employee,
    Holiday,
    QaFinding,
    TelegramBinding,
)

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
