"""A person's page: the live card (or last month's final one early in a month) with its
score history, the evening recap's figures, training path and drills — from the same domain
services as the chat (coaching.scoring.service, coaching.plans.days). The score part can come
precomputed (`score_entry`, stored by the dashboard_precompute job); the rest is one person's
rows, read on each request."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dashboard.data import SPARK_MONTHS, card_dict
from coaching.scoring import service as svc
from coaching.scoring.config import ScoringConfig
from coaching.scoring.engine import Scorecard, add_months, local_month
from coaching.scoring.snapshots import TrendPoint, history
from db.models import Drill, Employee, TrainingAssignment, TrainingItem


def person(
    s: Session,
    cfg: ScoringConfig,
    employee_id: int,
    now: datetime,
    sections: frozenset[str],
    plan_days: int = 7,
    score: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """A person's page; `score`: their precomputed `score_entry` (else scored now)."""
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
        if score is None:  # computed now (no precomputed entry for this person)
            view = svc.my_view(s, cfg, emp.id, now)
            this = local_month(now, emp.branch.timezone)
            score = score_entry(view, svc.my_card(s, cfg, emp.id, now), this)
        out.update(score_section(s, emp, score))
    if "plan" in sections and "collector" in emp.roles:
        out["plan_days"] = _plan_days(s, emp, now, plan_days)
    if "training" in sections:
        out["training"] = _training(s, emp.id, now)
    if "drills" in sections:
        out["drills"] = _drills(s, emp.id)
    return out


def score_entry(view: svc.MyView | None, live: Scorecard | None, this: date) -> dict[str, Any]:
    """What a person's score section takes from the branch's scoring: the card /score shows
    (this month live, or last month's final one early in a month) and this month's live
    point of the trend. Plain JSON, so the precompute job can store it."""
    point = None
    if live is not None:
        point = {
            "total": live.total,
            "team_average": live.team_average_total,
            "vetoed": live.vetoed,
        }
    return {
        "card": card_dict(view.card) if view else None,
        "card_live": bool(view and view.live),
        "month": this.isoformat(),
        "point": point,
    }


def score_section(s: Session, emp: Employee, entry: dict[str, Any]) -> dict[str, Any]:
    """The card and the score history: the frozen months (snapshots.history, as the chat's
    trend chart) plus this month's live point — `trend_points` without scoring again."""
    this = date.fromisoformat(entry["month"])
    points = history(s, emp.id, emp.team_id, add_months(this, -1), SPARK_MONTHS - 1)
    p = entry["point"]
    points.append(
        TrendPoint(this, p["total"], p["team_average"], bool(p["vetoed"]))
        if p is not None
        else TrendPoint(this, None, None, False)
    )
    return {
        "card": entry["card"],
        "card_live": entry["card_live"],
        "history": [
            {
                "month": pt.month.strftime("%Y-%m"),
                "total": pt.total,
                "team_average": pt.team_average,
                "vetoed": pt.vetoed,
            }
            for pt in points
        ],
    }


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
