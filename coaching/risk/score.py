"""Risk score 0–100 per person: weighted signal strengths, top reasons, level; daily history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo
from coaching.risk.config import RiskConfig
from coaching.risk.signals import ACTIONS, SIGNALS, Person, Query
from db.models import Employee, EmployeeRole, RiskScore
from db.models.org import EmployeeStatus


@dataclass(frozen=True)
class Reason:
    signal: str
    key: str
    params: dict[str, Any]
    points: float


@dataclass
class Assessment:
    person: Person
    score: float
    level: str | None
    reasons: list[Reason]
    features: dict[str, float]
    no_data: list[str] = field(default_factory=list)

    @property
    def actions(self) -> list[str]:
        out: list[str] = []
        for r in self.reasons:
            for a in ACTIONS.get(r.signal, ()):
                # A mentor helps new hires; for tenure 6–12 months a talk about the path.
                if a == "mentor" and r.key == "tenure_window":
                    continue
                if a not in out:
                    out.append(a)
        return out


@dataclass
class Run:
    """One scoring of a branch: every assessment plus what each signal reported."""

    as_of: date
    assessments: list[Assessment]
    # signal → "ok" / "skipped: …" / "ok (fallback …)"
    status: dict[str, str]

    def at_risk(self, min_rank: int = 1) -> list[Assessment]:
        from coaching.risk.config import level_rank

        return [a for a in self.assessments if level_rank(a.level) >= min_rank]


def population(
    s: Session, branch_id: int, as_of: date, *, historical: bool = False
) -> dict[int, Person]:
    """Collectors of a branch employed on `as_of`. Live runs skip people whose exit is
    already recorded; a replay counts everyone still employed that day."""
    q = (
        select(Employee)
        .join(EmployeeRole, EmployeeRole.employee_id == Employee.id)
        .where(
            Employee.branch_id == branch_id,
            EmployeeRole.role == "collector",
            Employee.hire_date <= as_of,
        )
    )
    if historical:
        q = q.where(
            ((Employee.left_on.is_(None)) & (Employee.status != EmployeeStatus.LEFT))
            | (Employee.left_on > as_of)
        )
    else:
        q = q.where(Employee.status != EmployeeStatus.LEFT)
    return {
        e.id: Person(e.id, e.employee_no, e.name, e.branch_id, e.team_id, e.hire_date, e.left_on)
        for e in s.execute(q.order_by(Employee.employee_no)).scalars().unique()
    }


def assess(
    s: Session,
    branch: BranchInfo,
    as_of: date,
    cfg: RiskConfig,
    *,
    historical: bool = False,
    people: dict[int, Person] | None = None,
) -> Run:
    people = (
        people if people is not None else population(s, branch.id, as_of, historical=historical)
    )
    status: dict[str, str] = {}
    features: dict[int, dict[str, float]] = {i: {} for i in people}
    reasons: dict[int, list[Reason]] = {i: [] for i in people}
    no_data: dict[int, list[str]] = {i: [] for i in people}
    for name, params in cfg.signals.items():
        fn = SIGNALS.get(name)
        if fn is None:
            status[name] = "skipped: unknown signal (not in coaching.risk.signals)"
            continue
        if not people:
            status[name] = "ok"
            continue
        out = fn(
            Query(
                s=s,
                as_of=as_of,
                tz=branch.tz,
                branch_id=branch.id,
                workdays=branch.workdays,
                people=people,
                params=params,
                historical=historical,
            )
        )
        if out.unavailable:
            status[name] = f"skipped: {out.unavailable}"
            continue
        status[name] = "ok" + (f" ({out.note})" if out.note else "")
        weight = cfg.weight(name)
        for emp in people:
            hit = out.hits.get(emp)
            features[emp][name] = hit.strength if hit else 0.0
            if emp in out.no_data:
                no_data[emp].append(name)
            if hit and weight * hit.strength > 0:
                reasons[emp].append(Reason(name, hit.key, hit.params, weight * hit.strength))
    result = []
    for emp, person in people.items():
        rs = sorted(reasons[emp], key=lambda r: (-r.points, r.signal))
        score = round(min(100.0, sum(r.points for r in rs)), 1)
        result.append(
            Assessment(person, score, cfg.level_for(score), rs, features[emp], no_data[emp])
        )
    result.sort(key=lambda a: (-a.score, a.person.employee_no))
    return Run(as_of, result, status)


def save(s: Session, run: Run, now: datetime) -> int:
    """Keep the day's scores as history (a re-run the same day replaces that day's rows)."""
    ids = [a.person.id for a in run.assessments]
    if not ids:
        return 0
    s.execute(delete(RiskScore).where(RiskScore.day == run.as_of, RiskScore.employee_id.in_(ids)))
    s.add_all(
        RiskScore(
            employee_id=a.person.id,
            day=run.as_of,
            score=a.score,
            level=a.level or "",
            reasons=[
                {"signal": r.signal, "key": r.key, "params": r.params, "points": r.points}
                for r in a.reasons
            ],
            features=a.features,
            computed_at=now,
        )
        for a in run.assessments
    )
    s.flush()
    return len(ids)


def latest(s: Session, employee_id: int) -> RiskScore | None:
    return s.execute(
        select(RiskScore)
        .where(RiskScore.employee_id == employee_id)
        .order_by(RiskScore.day.desc())
        .limit(1)
    ).scalar_one_or_none()
