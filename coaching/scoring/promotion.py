"""The promotion ladder from frozen monthly snapshots (config: `promotion`, per branch).

- trainee → account manager: `account_manager.months` consecutive frozen months, each at or
  above `account_manager.threshold`, none vetoed;
- account manager → senior: `senior.months` consecutive months on target (≥
  `senior.threshold`, none vetoed) AND proof of M6+ / restructuring skill: a passed drill of
  one of `senior.drill_scenarios` or a passed quiz of one of `senior.quizzes`, up to the end
  of the last month counted.

The employee model has no job grade, so both lists are evidence for HR to act on, not
automatic promotions: someone can appear on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.calendar import all_branches
from coaching.scoring.config import ScoringConfig, StepSpec
from coaching.scoring.engine import add_months, month_bounds
from coaching.scoring.money import half_up
from db.models import Drill, Employee, EmployeeRole, QuizAttempt, ScoreSnapshot, Team
from db.models.training import TrainingItem

STEPS = ("account_manager", "senior")


@dataclass(frozen=True)
class Candidate:
    employee_id: int
    employee_no: str
    name: str
    team_code: str | None
    branch_id: int
    totals: tuple[float, ...]  # oldest first
    step: str = "account_manager"
    skill_proof: tuple[str, ...] = ()  # "drill instalment_m6 2026-02-10", "quiz … "


def _streaks(
    s: Session, branch_id: int, month: date, step: StepSpec
) -> dict[int, tuple[float, ...]]:
    """Employees of the branch with `step.months` qualifying snapshots ending at `month`."""
    first = add_months(month, -(step.months - 1))
    rows = s.execute(
        select(ScoreSnapshot.employee_id, ScoreSnapshot.month, ScoreSnapshot.total)
        .join(Employee, Employee.id == ScoreSnapshot.employee_id)
        .where(
            Employee.branch_id == branch_id,
            ScoreSnapshot.month >= first,
            ScoreSnapshot.month <= month,
            ScoreSnapshot.vetoed.is_(False),
            ScoreSnapshot.total.is_not(None),
        )
    ).all()
    by: dict[int, list[tuple[date, float]]] = {}
    for eid, m, total in rows:
        # The threshold is compared with the total as shown (one decimal, half-up).
        if half_up(total, 1) >= step.threshold:
            by.setdefault(eid, []).append((m, total))
    return {
        eid: tuple(t for _, t in sorted(ms)) for eid, ms in by.items() if len(ms) == step.months
    }


def _skill_proof(
    s: Session, ids: list[int], until: object, scenarios: tuple[str, ...], quizzes: tuple[str, ...]
) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if scenarios:
        for eid, sc, at in s.execute(
            select(Drill.employee_id, Drill.scenario_id, Drill.ended_at)
            .where(
                Drill.employee_id.in_(ids),
                Drill.scenario_id.in_(scenarios),
                Drill.passed.is_(True),
                Drill.ended_at < until,
            )
            .order_by(Drill.ended_at)
        ):
            out.setdefault(eid, []).append(f"drill {sc} {at:%Y-%m-%d}")
    if quizzes:
        for eid, slug, at in s.execute(
            select(QuizAttempt.employee_id, TrainingItem.slug, QuizAttempt.finished_at)
            .join(TrainingItem, TrainingItem.id == QuizAttempt.item_id)
            .where(
                QuizAttempt.employee_id.in_(ids),
                TrainingItem.slug.in_(quizzes),
                QuizAttempt.passed.is_(True),
                QuizAttempt.finished_at < until,
            )
            .order_by(QuizAttempt.finished_at)
        ):
            out.setdefault(eid, []).append(f"quiz {slug} {at:%Y-%m-%d}")
    return out


def ladder(
    s: Session, cfg: ScoringConfig, month: date, branch_id: int | None = None
) -> list[Candidate]:
    """Both steps' candidates for the months ending at `month`, with their evidence."""
    out: list[Candidate] = []
    for b in all_branches(s):
        if branch_id is not None and b.id != branch_id:
            continue
        spec = cfg.promotion_for(b.code)
        _, until = month_bounds(month, b.timezone)
        am = _streaks(s, b.id, month, spec.account_manager)
        sn = _streaks(s, b.id, month, spec.senior)
        proof = (
            _skill_proof(s, list(sn), until, spec.senior.drill_scenarios, spec.senior.quizzes)
            if sn
            else {}
        )
        sn = {eid: t for eid, t in sn.items() if eid in proof}
        ids = set(am) | set(sn)
        if not ids:
            continue
        people = {
            e.id: (e, code)
            for e, code in s.execute(
                select(Employee, Team.code)
                .outerjoin(Team, Team.id == Employee.team_id)
                .where(
                    Employee.id.in_(ids),
                    Employee.status != "left",
                    Employee.id.in_(
                        select(EmployeeRole.employee_id).where(EmployeeRole.role == "collector")
                    ),
                )
            )
        }
        for step, found in (("account_manager", am), ("senior", sn)):
            for eid in sorted(found, key=lambda i: people[i][0].employee_no if i in people else ""):
                if eid not in people:
                    continue
                e, code = people[eid]
                out.append(
                    Candidate(
                        e.id,
                        e.employee_no,
                        e.name,
                        code,
                        e.branch_id,
                        found[eid],
                        step,
                        tuple(proof.get(eid, ())),
                    )
                )
    return out


def promotion_candidates(
    s: Session, cfg: ScoringConfig, month: date, branch_id: int | None = None
) -> list[Candidate]:
    """trainee → account manager candidates only (the first step of the ladder)."""
    return [c for c in ladder(s, cfg, month, branch_id) if c.step == "account_manager"]
