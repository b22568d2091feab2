"""Training signals for other features (HR attrition risk): training lag, unanswered
questions, weakest competencies."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching import competency
from coaching.training.service import order_weakest_first
from db.models import (
    TraineeQuestion,
    TrainingAssignment,
    TrainingItem,
)


def overdue_assignments(s: Session, employee_ids: list[int], as_of: datetime) -> dict[int, int]:
    """Per employee: open assignments past their deadline, plus failed mandatory ones."""
    out = dict.fromkeys(employee_ids, 0)
    if not employee_ids:
        return out
    rows = s.execute(
        select(TrainingAssignment.employee_id, func.count())
        .join(TrainingItem, TrainingItem.id == TrainingAssignment.item_id)
        .where(
            TrainingAssignment.employee_id.in_(employee_ids),
            (
                (TrainingAssignment.status == "open")
                & (TrainingAssignment.due_at < as_of)
                & (TrainingAssignment.created_at <= as_of)
            )
            | (
                (TrainingAssignment.status == "failed")
                & TrainingItem.mandatory.is_(True)
                & (TrainingAssignment.completed_at <= as_of)
            ),
        )
        .group_by(TrainingAssignment.employee_id)
    ).all()
    for emp_id, n in rows:
        out[emp_id] = int(n)
    return out


def unanswered_questions(
    s: Session, employee_ids: list[int], as_of: datetime, hours: int = 24
) -> dict[int, int]:
    """Per employee: their questions still unanswered (as of `as_of`) after more than `hours`."""
    out = dict.fromkeys(employee_ids, 0)
    if not employee_ids:
        return out
    rows = s.execute(
        select(TraineeQuestion.employee_id, func.count())
        .where(
            TraineeQuestion.employee_id.in_(employee_ids),
            TraineeQuestion.asked_at < as_of - timedelta(hours=hours),
            TraineeQuestion.answered_at.is_(None) | (TraineeQuestion.answered_at > as_of),
        )
        .group_by(TraineeQuestion.employee_id)
    ).all()
    for emp_id, n in rows:
        out[emp_id] = int(n)
    return out


def weakest_competencies(s: Session, employee_id: int) -> list[str]:
    """All five competencies, weakest first, for ordering what to train: those with evidence
    by their average (coaching.competency, the same figures every view names the weakest
    from), and a competency with no evidence at all counts as weakest."""
    return order_weakest_first(competency.evidence(s, employee_id))
