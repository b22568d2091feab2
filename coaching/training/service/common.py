"""Training configuration and content lookup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    QuizQuestion,
    TrainingItem,
)

LETTERS = "ABCDEFGH"
TRAINEE_ROLES = ("collector", "team_lead")
TARGET_TYPES = ("person", "team", "branch", "new_hires")


@dataclass(frozen=True)
class Config:
    pass_mark: int = 80
    max_attempts: int = 3
    new_hire_days: int = 30
    due_days: int = 7
    question_hours: int = 24
    remind_every_days: int = 1
    # New random order of questions and options per attempt (recorded on the attempt).
    shuffle: bool = False


def config_from(settings: Any) -> Config:
    """The training settings (bot.settings.Settings) as plain values."""
    return Config(
        pass_mark=settings.training_pass_mark,
        max_attempts=settings.training_max_attempts,
        new_hire_days=settings.training_new_hire_days,
        due_days=settings.training_default_due_days,
        question_hours=settings.training_question_hours,
        remind_every_days=settings.training_reminder_every_days,
        shuffle=settings.training_shuffle,
    )


def pass_mark(item: TrainingItem, cfg: Config) -> int:
    return item.pass_mark or cfg.pass_mark


def max_attempts(item: TrainingItem, cfg: Config) -> int:
    return item.max_attempts or cfg.max_attempts


# --- content lookup --------------------------------------------------------------------------


def items(s: Session, kind: str | None = None) -> list[TrainingItem]:
    q = select(TrainingItem).where(TrainingItem.active.is_(True))
    if kind:
        q = q.where(TrainingItem.kind == kind)
    return list(s.execute(q.order_by(TrainingItem.kind.desc(), TrainingItem.slug)).scalars())


def item_by_slug(s: Session, slug: str) -> TrainingItem | None:
    return s.execute(select(TrainingItem).where(TrainingItem.slug == slug)).scalar_one_or_none()


def active_questions(s: Session, item_id: int) -> list[QuizQuestion]:
    return list(
        s.execute(
            select(QuizQuestion)
            .where(QuizQuestion.item_id == item_id, QuizQuestion.active.is_(True))
            .order_by(QuizQuestion.position)
        ).scalars()
    )
