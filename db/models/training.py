"""Training: content (courses, quizzes), pushes and assignments, attempts, trainee questions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime


class TrainingItem(Base):
    """A course or a quiz imported from content/training (upserted by its stable slug)."""

    __tablename__ = "training_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # course / quiz
    title: Mapped[str] = mapped_column(String(200))
    # One of COMPETENCIES, or "" for a placement quiz spanning all of them.
    competency: Mapped[str] = mapped_column(String(32), default="")
    difficulty: Mapped[int] = mapped_column(Integer, default=1)
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    placement: Mapped[bool] = mapped_column(Boolean, default=False)
    # The quiz assigned automatically when someone fails this competency's questions.
    remedial: Mapped[bool] = mapped_column(Boolean, default=False)
    pass_mark: Mapped[int | None] = mapped_column(Integer)  # None: the settings default
    max_attempts: Mapped[int | None] = mapped_column(Integer)  # None: the settings default
    # Course lessons [{title, text, links: [{title, url}], image}]
    lessons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source_file: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    questions: Mapped[list[QuizQuestion]] = relationship(
        back_populates="item", order_by="QuizQuestion.position"
    )


class QuizQuestion(Base):
    __tablename__ = "quiz_questions"
    __table_args__ = (UniqueConstraint("item_id", "qkey"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("training_items.id", ondelete="CASCADE"))
    qkey: Mapped[str] = mapped_column(String(32))  # stable id within the quiz file
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON)
    correct: Mapped[list[int]] = mapped_column(JSON)  # 0-based option indices
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    explanation: Mapped[str] = mapped_column(Text, default="")
    competency: Mapped[str] = mapped_column(String(32))
    difficulty: Mapped[int] = mapped_column(Integer, default=1)
    # Removed from the file: kept for the history of answers, no longer asked.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    item: Mapped[TrainingItem] = relationship(back_populates="questions")


class TrainingPush(Base):
    """One push by a trainer (or the system): what, to whom, by when."""

    __tablename__ = "training_pushes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("training_items.id"))
    # person / team / branch / new_hires / path / remedial / mandatory
    target_type: Mapped[str] = mapped_column(String(16))
    target_ref: Mapped[str] = mapped_column(String(64), default="")
    due_days: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    item: Mapped[TrainingItem] = relationship()


class TrainingAssignment(Base):
    __tablename__ = "training_assignments"
    __table_args__ = (Index("ix_training_assignments_employee_status", "employee_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("training_pushes.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("training_items.id"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    # End of the deadline day in the trainee's branch time zone, stored in UTC.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # open / passed / failed (no retakes left)
    status: Mapped[str] = mapped_column(String(8), default="open")
    best_score: Mapped[float | None] = mapped_column(Float)
    # Learning-path order (1 = weakest competency first); None outside a path.
    path_rank: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item: Mapped[TrainingItem] = relationship()
    push: Mapped[TrainingPush] = relationship()


class QuizAttempt(Base):
    """A run through a quiz or a course; the position is kept here, not in PTB persistence."""

    __tablename__ = "quiz_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_assignments.id"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("training_items.id"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    # The questions in the order this attempt asks them (shuffled per attempt).
    question_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # What the trainee saw: question id → the stored option indices in display order
    # (display position i shows option order[i]); none = stored order.
    option_orders: Mapped[dict[str, list[int]] | None] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Options ticked so far on a multiple-choice question.
    pending: Mapped[list[int]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    item: Mapped[TrainingItem] = relationship()


class QuizAnswer(Base):
    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id"), index=True)
    chosen: Mapped[list[int]] = mapped_column(JSON)
    correct: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class TraineeQuestion(Base):
    """A trainee's /ask; the 24-hour clock runs from asked_at until answered_at."""

    __tablename__ = "trainee_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    answer: Mapped[str | None] = mapped_column(Text)
    # Set when the 24-hour clock ran out unanswered (the reminder went out): a recorded flag.
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuestionForward(Base):
    """Where a trainee question was shown to trainers, so a reply to it finds the question."""

    __tablename__ = "question_forwards"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("trainee_questions.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
