"""Each page's data, from the same domain services the chat commands call (no rule is copied
here: scores come from coaching.scoring.service, training figures from
coaching.training.analytics, risk from coaching.risk.alerts/attrition/exits). Functions take a
Session and return plain dicts and dataclasses, ready for the JSON API and the HTML pages.

Nothing here reads debtor data: scorecards are per collector, drills show grades only (never
the transcript), exits show the category and dates (never HR's free-text notes).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.risk import alerts, attrition, exits
from coaching.risk.config import RiskConfig
from coaching.scoring import service as svc
from coaching.scoring.config import ScoringConfig
from coaching.scoring.engine import Scorecard, add_months
from coaching.scoring.snapshots import TrendPoint, history
from coaching.training import analytics
from db.models import (
    Drill,
    Employee,
    ScoreSnapshot,
    TraineeQuestion,
    TrainingAssignment,
    TrainingItem,
)

SPARK_MONTHS = 6
SORTS = ("rank", "total", "name")


def card_dict(c: Scorecard) -> dict[str, Any]:
    """A scorecard for the page and the JSON API (display values, already rounded once)."""
    return {
        "employee_id": c.employee_id,
        "employee_no": c.employee_no,
        "name": c.name,
        "team_code": c.team_code,
        "total": c.total,
        "vetoed": c.vetoed,
        "veto_reason": str(c.veto_reason).split(": ", 1)[-1],
        "rank_team": c.rank_team,
        "rank_branch": c.rank_branch,
        "tied_team": c.tied_team,
        "team_size": c.team_size,
        "arrow": c.arrow,
        "previous_total": c.previous_total,
        "is_lead": c.is_lead,
        "carries_cases": c.carries_cases,
        "components": {
            n: {
                "score": comp.score,
                "effective_weight": comp.effective_weight,
                "na_reason": comp.na_reason,
                "detail": {k: v for k, v in comp.detail.items() if k == "per"},
                "arrow": comp.arrow,
            }
            for n, comp in c.components.items()
        },
    }


def sparks(s: Session, employee_ids: list[int], this_month: date) -> dict[int, list[float | None]]:
    """Frozen monthly totals (the snapshots the chat's trend chart reads), oldest first, for
    the months before `this_month`; the live month is appended by the caller."""
    first = add_months(this_month, -(SPARK_MONTHS - 1))
    out: dict[int, list[float | None]] = {e: [None] * (SPARK_MONTHS - 1) for e in employee_ids}
    if not employee_ids:
        return out
    rows = s.execute(
        select(ScoreSnapshot.employee_id, ScoreSnapshot.month, ScoreSnapshot.total).where(
            ScoreSnapshot.employee_id.in_(employee_ids),
            ScoreSnapshot.month >= first,
            ScoreSnapshot.month < this_month,
        )
    ).all()
    for eid, month, total in rows:
        i = (month.year - first.year) * 12 + month.month - first.month
        if 0 <= i < SPARK_MONTHS - 1:
            out[eid][i] = total
    return out


def _sort_key(sort: str) -> Any:
    if sort == "total":
        # Best first; vetoed (0) after the scored; n/a last.
        return lambda r: (r["total"] is None, r["vetoed"], -(r["total"] or 0), r["employee_no"])
    if sort == "name":
        return lambda r: r["employee_no"]
    if sort.startswith("c:"):
        name = sort[2:]

        def key(r: dict[str, Any]) -> tuple[Any, ...]:
            v = (r["components"].get(name) or {}).get("score")
            return (v is None, -(v or 0), r["employee_no"])

        return key
    return lambda r: (r["rank_team"] is None, r["rank_team"] or 0, r["employee_no"])


def scoreboard(
    s: Session, cfg: ScoringConfig, team_id: int, now: datetime, sort: str = "rank"
) -> dict[str, Any] | None:
    view = svc.team_view(s, cfg, team_id, now)
    if view is None:
        return None
    rows = [card_dict(c) for c in view.cards]
    hist = sparks(s, [r["employee_id"] for r in rows], view.month)
    for r in rows:
        r["spark"] = [*hist[r["employee_id"]], r["total"]]
    rows.sort(key=_sort_key(sort))
    components = list(view.cards[0].components) if view.cards else []
    return {
        "team": asdict(view.team),
        "month": view.month.strftime("%Y-%m"),
        "sort": sort,
        "components": components,
        "rows": rows,
    }


def branches(
    s: Session, cfg: ScoringConfig, branch_ids: list[int], now: datetime
) -> list[dict[str, Any]]:
    out = []
    for bid in branch_ids:
        code, teams = svc.branch_comparison(s, cfg, bid, now)
        out.append({"branch": code, "teams": [asdict(t) for t in teams]})
    return out


def team_list(s: Session, branch_id: int | None, led: frozenset[int] | None) -> list[dict]:
    teams = svc.teams_in(s, branch_id)
    if led is not None:
        teams = [t for t in teams if t.id in led]
    return [asdict(t) for t in teams]


# --- a person's page ---------------------------------------------------------------------


def person(
    s: Session,
    cfg: ScoringConfig,
    employee_id: int,
    now: datetime,
    sections: frozenset[str],
    plan_days: int = 7,
) -> dict[str, Any] | None:
    emp = s.get(Employee, employee_id)
    if emp is None:
        return None
    out: dict[str, Any] = {
        "employee_id": emp.id,
        "employee_no": emp.employee_no,
        "name": emp.name,
        "team": emp.team.code if emp.team else None,
        "branch": emp.branch.code,
        "sections": sorted(sections),
    }
    if "score" in sections and "collector" in emp.roles:
        view = svc.my_view(s, cfg, emp.id, now)
        out["card"] = card_dict(view.card) if view else None
        out["card_live"] = bool(view and view.live)
        if view is not None and view.live:
            # trend_points() would score the whole branch again for the same live card: the
            # frozen months (snapshots.history) plus the card just computed are the same points.
            points = history(s, emp.id, emp.team_id, add_months(view.this_month, -1), 5)
            c = view.card
            points.append(TrendPoint(view.this_month, c.total, c.team_average_total, c.vetoed))
        else:
            _, points = svc.trend_points(s, cfg, emp.id, now)
        out["history"] = [
            {
                "month": p.month.strftime("%Y-%m"),
                "total": p.total,
                "team_average": p.team_average,
                "vetoed": p.vetoed,
            }
            for p in points
        ]
    if "plan" in sections and "collector" in emp.roles:
        out["plan_days"] = _plan_days(s, emp, now, plan_days)
    if "training" in sections:
        out["training"] = _training(s, emp.id, now)
    if "drills" in sections:
        out["drills"] = _drills(s, emp.id)
    return out


def _plan_days(s: Session, emp: Employee, now: datetime, n: int) -> list[dict[str, Any]]:
    """The evening recap's figures (calls, contacts, promises, repaid) for the last n days,
    with whether each was a working day for this collector (the plan's own calendar)."""
    from coaching.calendar import branch_info
    from coaching.plans.days import day_stats, day_status

    b = branch_info(emp.branch)
    today = b.local(now).date()
    days = [today - timedelta(days=i) for i in range(n - 1, -1, -1)]
    out = []
    for d in days:
        st = day_stats(s, [emp.id], b, d)[emp.id]
        out.append(
            {
                "day": d.isoformat(),
                "works": day_status(s, emp.id, d).works,
                "calls": st.calls,
                "contacts": st.contacts,
                "promises": st.promises,
                "repaid": st.repaid,
                "currency": st.currency,
            }
        )
    return out


def _training(s: Session, employee_id: int, now: datetime) -> list[dict[str, Any]]:
    rows = s.execute(
        select(TrainingAssignment, TrainingItem)
        .join(TrainingItem, TrainingItem.id == TrainingAssignment.item_id)
        .where(TrainingAssignment.employee_id == employee_id)
        .order_by(
            TrainingAssignment.path_rank.is_(None),
            TrainingAssignment.path_rank,
            TrainingAssignment.due_at,
        )
    ).all()
    return [
        {
            "title": it.title,
            "kind": it.kind,
            "competency": it.competency,
            "mandatory": it.mandatory,
            "path_rank": a.path_rank,
            "status": a.status,
            "overdue": a.status == "open" and a.due_at < now,
            "due": a.due_at.date().isoformat(),
            "best_score": a.best_score,
        }
        for a, it in rows
    ]


def _drills(s: Session, employee_id: int, limit: int = 20) -> list[dict[str, Any]]:
    rows = s.execute(
        select(Drill)
        .where(Drill.employee_id == employee_id)
        .order_by(Drill.started_at.desc())
        .limit(limit)
    ).scalars()
    return [
        {
            "scenario": d.scenario_id,
            "competency": d.competency,
            "status": d.status,
            "total": d.total,
            "passed": d.passed,
            "graded_by": d.graded_by,
            "day": d.started_at.date().isoformat(),
        }
        for d in rows
    ]


# --- training and HR ---------------------------------------------------------------------


def training(
    s: Session, now: datetime, branch_id: int | None, label: str, hours: int
) -> dict[str, Any]:
    st = analytics.compute(s, now, branch_id, label)
    out = st.to_dict()
    out["flagged_questions"] = [asdict(q) for q in st.flagged_questions]
    out["completion_flag"] = analytics.COMPLETION_FLAG
    out["question_flag"] = analytics.QUESTION_FLAG
    out["clock"] = _question_clock(s, now, branch_id, hours)
    return out


def _question_clock(s: Session, now: datetime, branch_id: int | None, hours: int) -> dict[str, Any]:
    """Trainee questions on the answer clock: open ones by age, answer times of the others.
    Only times: the questions' text stays in the chat."""
    q = select(TraineeQuestion.asked_at, TraineeQuestion.answered_at).join(
        Employee, Employee.id == TraineeQuestion.employee_id
    )
    if branch_id is not None:
        q = q.where(Employee.branch_id == branch_id)
    rows = s.execute(q.where(TraineeQuestion.asked_at >= now - timedelta(days=30))).all()
    open_ages = sorted(
        ((now - a).total_seconds() / 3600 for a, b in rows if b is None), reverse=True
    )
    answered = sorted((b - a).total_seconds() / 3600 for a, b in rows if b is not None)
    return {
        "hours": hours,
        "open": len(open_ages),
        "open_overdue": sum(1 for h in open_ages if h > hours),
        "oldest_open_h": round(open_ages[0], 1) if open_ages else None,
        "answered": len(answered),
        "answered_late": sum(1 for h in answered if h > hours),
        "median_answer_h": round(answered[len(answered) // 2], 1) if answered else None,
    }


def risk(
    s: Session, branch_ids: set[int] | None, now: datetime, cfg: RiskConfig, by_id: int
) -> dict[str, Any]:
    """What /risk shows (the same call, audit-logged as a view), plus the ids the action
    buttons need, attrition and the exits of the last 12 months."""
    views = alerts.current_views(s, branch_ids, now, cfg, by_id)
    nos = [r["employee_no"] for v in views for r in v["rows"]]
    ids: dict[str, int] = {
        no: eid
        for no, eid in s.execute(
            select(Employee.employee_no, Employee.id).where(Employee.employee_no.in_(nos))
        ).all()
    }
    for v in views:
        for r in v["rows"]:
            r["employee_id"] = ids.get(r["employee_no"])
    today = now.date()
    rep = attrition.report(s, today, branch_ids)
    exit_rows = []
    for bid in sorted(branch_ids) if branch_ids is not None else [None]:
        exit_rows += exits.list_exits(s, today - timedelta(days=365), bid)
    return {
        "views": views,
        "attrition": {
            "monthly": [
                {
                    "label": p.label,
                    "partial": p.partial,
                    "rates": [{"group": r.group, "rate": r.rate, "leavers": r.leavers} for r in rs],
                }
                for p, rs in rep.monthly
            ],
            "by_tenure": [{"group": r.group, "rate": r.rate} for r in rep.by_tenure],
            "reasons": rep.reasons,
        },
        "exits": [
            {
                "employee_no": e.employee_no,
                "name": e.name,
                "branch": e.branch,
                "team": e.team,
                "last_day": e.last_day.isoformat() if e.last_day else "",
                "category": e.category,
            }
            for e in exit_rows
        ],
    }
