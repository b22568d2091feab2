"""One answer to "which competency is this person weakest in?", used wherever it is named:
the /roleplay suggestion, /coach, the drill grade card, /score and the trainer views.

Evidence is every single-competency assessment score (quizzes and drills) plus the placement
quiz's per-question results (100 right, 0 wrong), averaged per competency. Only competencies
with evidence are ranked: nobody is told they are weak at something never assessed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AssessmentResult, QuizAnswer, QuizAttempt, QuizQuestion, TrainingItem
from db.models.results import COMPETENCIES


def evidence(s: Session, employee_id: int) -> dict[str, float]:
    """Average score per assessed competency."""
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
    return {c: sum(v) / len(v) for c, v in scores.items() if v and c in COMPETENCIES}


def weakest(s: Session, employee_id: int) -> list[str]:
    """Assessed competencies, weakest first (ties in the fixed COMPETENCIES order)."""
    means = evidence(s, employee_id)
    return sorted(means, key=lambda c: (means[c], COMPETENCIES.index(c)))


def weakest_one(s: Session, employee_id: int) -> str:
    """The competency to name as weakest, or "" without evidence."""
    w = weakest(s, employee_id)
    return w[0] if w else ""
