"""Frozen monthly scorecards: freezing (idempotent) and history for trends (the promotion
ladder that reads them is in promotion.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo
from coaching.scoring.config import ScoringConfig
from coaching.scoring.engine import Scorecard, add_months, compute_branch
from coaching.scoring.money import r1
from db.models import Employee, ScoreSnapshot


def _components_json(card: Scorecard) -> dict[str, dict[str, float | None]]:
    return {
        n: {
            "raw": c.raw,
            "score": c.score,
            "weight": c.weight,
            "effective_weight": c.effective_weight,
        }
        for n, c in card.components.items()
    }


def freeze(s: Session, cfg: ScoringConfig, branch: BranchInfo, month: date, now: datetime) -> int:
    """Write (or rewrite) the month's snapshot for every collector of the branch.

    Idempotent: one row per (employee, month) — a re-run updates the same rows."""
    cards = compute_branch(s, cfg, branch, month)
    existing = {
        r.employee_id: r
        for r in s.execute(
            select(ScoreSnapshot).where(
                ScoreSnapshot.month == month,
                ScoreSnapshot.employee_id.in_(
                    select(Employee.id).where(Employee.branch_id == branch.id)
                ),
            )
        ).scalars()
    }
    for c in cards:
        row = existing.get(c.employee_id)
        if row is None:
            row = ScoreSnapshot(employee_id=c.employee_id, month=month)
            s.add(row)
        row.profile = c.profile
        row.total = c.total
        row.vetoed = c.vetoed
        row.veto_reason = c.veto_reason[:200]
        row.rank_team = c.rank_team
        row.rank_branch = c.rank_branch
        row.components = _components_json(c)
        row.computed_at = now
    s.flush()
    return len(cards)


@dataclass(frozen=True)
class TrendPoint:
    month: date
    total: float | None
    team_average: float | None
    vetoed: bool = False


def history(
    s: Session, employee_id: int, team_id: int | None, last_month: date, months: int = 6
) -> list[TrendPoint]:
    """Frozen totals for the `months` months ending at `last_month`, with the team's average
    (over the employee's current team's members that have a snapshot that month)."""
    first = add_months(last_month, -(months - 1))
    own = {
        r.month: r
        for r in s.execute(
            select(ScoreSnapshot).where(
                ScoreSnapshot.employee_id == employee_id,
                ScoreSnapshot.month >= first,
                ScoreSnapshot.month <= last_month,
            )
        ).scalars()
    }
    team: dict[date, float | None] = {}
    if team_id is not None:
        team = dict(
            s.execute(
                select(ScoreSnapshot.month, func.avg(ScoreSnapshot.total))
                .join(Employee, Employee.id == ScoreSnapshot.employee_id)
                .where(
                    Employee.team_id == team_id,
                    ScoreSnapshot.month >= first,
                    ScoreSnapshot.month <= last_month,
                    ScoreSnapshot.total.is_not(None),
                )
                .group_by(ScoreSnapshot.month)
            ).all()
        )
    out = []
    for i in range(months):
        m = add_months(first, i)
        r = own.get(m)
        avg = team.get(m)
        out.append(
            TrendPoint(
                month=m,
                total=r.total if r else None,
                team_average=r1(avg),
                vetoed=bool(r and r.vetoed),
            )
        )
    return out
