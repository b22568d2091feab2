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
from coaching.training import analytics
from db.models import (
    Employee,
    ScoreSnapshot,
    TraineeQuestion,
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
    return None if view is None else sort_board(board(s, view), sort)


def board(s: Session, view: svc.TeamView) -> dict[str, Any]:
    """A team's scoreboard in rank order, with each member's sparkline."""
    rows = [card_dict(c) for c in view.cards]
    hist = sparks(s, [r["employee_id"] for r in rows], view.month)
    for r in rows:
        r["spark"] = [*hist[r["employee_id"]], r["total"]]
    components = list(view.cards[0].components) if view.cards else []
    return {
        "team": asdict(view.team),
        "month": view.month.strftime("%Y-%m"),
        "sort": "rank",
        "components": components,
        "rows": rows,
    }


def sort_board(b: dict[str, Any], sort: str) -> dict[str, Any]:
    """The board sorted as asked (every sort ends on the employee number: one order only)."""
    return {**b, "sort": sort, "rows": sorted(b["rows"], key=_sort_key(sort))}


def branches(
    s: Session, cfg: ScoringConfig, branch_ids: list[int], now: datetime
) -> list[dict[str, Any]]:
    return [branch_row(s, cfg, bid, now) for bid in branch_ids]


def branch_row(
    s: Session,
    cfg: ScoringConfig,
    branch_id: int,
    now: datetime,
    cards: list[Scorecard] | None = None,
) -> dict[str, Any]:
    """One branch's team comparison (`cards`: its live scorecards when already at hand)."""
    code, teams = svc.branch_comparison(s, cfg, branch_id, now, cards)
    return {"branch": code, "teams": [asdict(t) for t in teams]}


def team_list(s: Session, branch_id: int | None, led: frozenset[int] | None) -> list[dict]:
    teams = svc.teams_in(s, branch_id)
    if led is not None:
        teams = [t for t in teams if t.id in led]
    return [asdict(t) for t in teams]


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


def risk(s: Session, branch_ids: set[int] | None, now: datetime, cfg: RiskConfig) -> dict[str, Any]:
    """What /risk shows per branch in scope (`alerts.branch_view`, the same assessment), plus
    the ids the action buttons need, attrition and the exits of the last 12 months. The
    caller audit-logs the view (pages.risk), as /risk does."""
    from coaching.calendar import all_branches

    views = [
        alerts.branch_view(s, b, now, cfg)
        for b in all_branches(s)
        if branch_ids is None or b.id in branch_ids
    ]
    return {"views": with_ids(s, views), **risk_history(s, branch_ids, now)}


def with_ids(s: Session, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each at-risk row gets its employee id (the action buttons post it)."""
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
    return views


def with_actions(s: Session, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """HR's actions since each person's last alert (contacted / snoozed until / not a risk),
    read now — so an action shows at once, also on a precomputed list."""
    ids = [r["employee_id"] for v in views for r in v["rows"] if r.get("employee_id")]
    taken = alerts.actions_taken(s, ids)
    return [
        {**v, "rows": [{**r, "taken": taken.get(r.get("employee_id") or 0, [])} for r in v["rows"]]}
        for v in views
    ]


def risk_history(s: Session, branch_ids: set[int] | None, now: datetime) -> dict[str, Any]:
    """Attrition (monthly, by tenure, reasons) and the last 12 months' exits."""
    today = now.date()
    rep = attrition.report(s, today, branch_ids)
    exit_rows = []
    for bid in sorted(branch_ids) if branch_ids is not None else [None]:
        exit_rows += exits.list_exits(s, today - timedelta(days=365), bid)
    return {
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
