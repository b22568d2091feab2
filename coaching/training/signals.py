"""Training signals for other features (HR attrition risk): training lag, unanswered
questions, weakest competencies."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.training.service import order_weakest_first
from db.models import (
    AssessmentResult,
    QuizAnswer,
    QuizAttempt,
    QuizQuestion,
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
    """All five competencies, weakest first: the mean of the employee's single-competency
    assessment scores (quizzes and drills), blended with the placement quiz's per-competency
    correct rate; a competency with no evidence at all counts as weakest."""
    scores: dict[str, list[float]] = {}
    for comp, score in s.execute(
        select(AssessmentResult.competency, AssessmentResult.score).where(
            AssessmentResult.employee_id == employee_id, AssessmentResult.competency != ""
        )
    ).all():
        scores.setdefault(comp, []).append(float(score))
    # Placement (and any other multi-competency quiz): per-question competency.
    for comp, ok in s.execute(
        select(QuizQuestion.competency, QuizAnswer.correct)
        .join(QuizAnswer, QuizAnswer.question_id == QuizQuestion.id)
        .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
        .join(TrainingItem, TrainingItem.id == QuizAttempt.item_id)
        .where(QuizAttempt.employee_id == employee_id, TrainingItem.placement.is_(True))
    ).all():
        scores.setdefault(comp, []).append(100.0 if ok else 0.0)
    means = {c: sum(v) / len(v) for c, v in scores.items() if v}
    return order_weakest_first(means)
