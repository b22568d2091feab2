"""Taking quizzes and courses: start, answer (options shuffled per attempt), finish, score."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.training.service.common import (
    Config,
    active_questions,
    max_attempts,
    pass_mark,
)
from coaching.training.service.push import (
    _finished_attempts,
    assign,
)
from db.models import (
    AssessmentResult,
    Employee,
    QuizAnswer,
    QuizAttempt,
    QuizQuestion,
    TrainingAssignment,
    TrainingItem,
)

# --- attempts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionView:
    attempt_id: int
    index: int  # 0-based position
    total: int
    text: str
    options: list[str]
    multiple: bool
    pending: list[int]
    title: str


@dataclass(frozen=True)
class LessonView:
    attempt_id: int
    index: int
    total: int
    title: str
    course_title: str
    text: str
    links: list[dict[str, str]]
    image: str | None


class StartError(StrEnum):
    NOT_YOURS = "not_yours"
    CLOSED = "closed"
    NO_ATTEMPTS_LEFT = "no_attempts_left"
    EMPTY = "empty"


def option_order(att: QuizAttempt, q: QuizQuestion) -> list[int]:
    """Display position → stored option index, as this attempt showed the question."""
    order = (att.option_orders or {}).get(str(q.id))
    if order is None or sorted(order) != list(range(len(q.options))):
        return list(range(len(q.options)))  # not shuffled, or the question changed since
    return list(order)


def shuffled_orders(qs: list[QuizQuestion], rng: random.Random) -> dict[str, list[int]]:
    out = {}
    for q in qs:
        order = list(range(len(q.options)))
        rng.shuffle(order)
        out[str(q.id)] = order
    return out


def _question_view(s: Session, att: QuizAttempt) -> QuestionView:
    q = s.get(QuizQuestion, att.question_ids[att.position])
    assert q is not None
    order = option_order(att, q)
    return QuestionView(
        attempt_id=att.id,
        index=att.position,
        total=len(att.question_ids),
        text=q.text,
        options=[q.options[i] for i in order],
        multiple=q.multiple,
        pending=list(att.pending or []),
        title=att.item.title,
    )


def _lesson_view(att: QuizAttempt) -> LessonView:
    lessons = att.item.lessons
    lesson = lessons[att.position]
    return LessonView(
        attempt_id=att.id,
        index=att.position,
        total=len(lessons),
        title=lesson["title"],
        course_title=att.item.title,
        text=lesson["text"],
        links=list(lesson.get("links") or []),
        image=lesson.get("image"),
    )


def start(
    s: Session, assignment_id: int, employee_id: int, now: datetime, cfg: Config
) -> QuestionView | LessonView | StartError:
    """Start (or resume) the assignment's quiz or course."""
    # Row lock: a double tap on "start" must not open two attempts (PostgreSQL).
    a = s.get(TrainingAssignment, assignment_id, with_for_update=True)
    if a is None or a.employee_id != employee_id:
        return StartError.NOT_YOURS
    if a.status != "open":
        return StartError.CLOSED
    item = a.item
    att = (
        s.execute(
            select(QuizAttempt)
            .where(QuizAttempt.assignment_id == a.id, QuizAttempt.finished_at.is_(None))
            .order_by(QuizAttempt.id)
        )
        .scalars()
        .first()
    )
    if att is None:
        if item.kind == "quiz":
            if _finished_attempts(s, a.id) >= max_attempts(item, cfg):
                return StartError.NO_ATTEMPTS_LEFT
            qs = active_questions(s, item.id)
            orders = None
            if cfg.shuffle:
                # A fresh order per attempt: a retake cannot be passed by remembering letters.
                rng = random.SystemRandom()
                rng.shuffle(qs)
                orders = shuffled_orders(qs, rng)
            qids = [q.id for q in qs]
        else:
            qids, orders = [], None
        if (item.kind == "quiz" and not qids) or (item.kind == "course" and not item.lessons):
            return StartError.EMPTY
        att = QuizAttempt(
            assignment_id=a.id,
            item_id=item.id,
            employee_id=employee_id,
            question_ids=qids,
            option_orders=orders,
            position=0,
            pending=[],
            started_at=now,
        )
        s.add(att)
        s.flush()
    return _question_view(s, att) if item.kind == "quiz" else _lesson_view(att)


@dataclass(frozen=True)
class Feedback:
    index: int
    total: int
    question: str
    options: list[str]
    chosen: list[int]
    correct: list[int]
    is_correct: bool
    explanation: str


@dataclass(frozen=True)
class Result:
    attempt_id: int
    title: str
    score: float
    passed: bool
    pass_mark: int
    correct: int
    total: int
    attempts_used: int
    attempts_max: int
    assignment_id: int | None
    mandatory: bool
    placement: bool
    by_competency: dict[str, float]
    remedial: list[str]  # titles of quizzes assigned because a competency was failed
    path: list[tuple[str, list[str]]]  # placement: (competency, [titles]) weakest first


@dataclass(frozen=True)
class AnswerOutcome:
    feedback: Feedback | None = None
    next: QuestionView | None = None
    result: Result | None = None
    toggled: QuestionView | None = None


class AnswerError(StrEnum):
    NOT_YOURS = "not_yours"
    STALE = "stale"


def answer(
    s: Session,
    attempt_id: int,
    employee_id: int,
    index: int,
    choice: str,
    now: datetime,
    cfg: Config,
) -> AnswerOutcome | AnswerError:
    """`choice` is an option index ("2"), or "s" to submit a multiple-choice selection."""
    att = s.get(QuizAttempt, attempt_id, with_for_update=True)
    if att is None or att.employee_id != employee_id:
        return AnswerError.NOT_YOURS
    if att.finished_at is not None or att.position != index or att.item.kind != "quiz":
        return AnswerError.STALE
    q = s.get(QuizQuestion, att.question_ids[index])
    assert q is not None
    # Buttons and `pending` are display positions; answers are stored as option indices.
    order = option_order(att, q)
    if choice == "s":
        shown = sorted(set(att.pending or []))
        if not shown:
            return AnswerOutcome(toggled=_question_view(s, att))
    else:
        if not choice.isdigit() or int(choice) >= len(q.options):
            return AnswerError.STALE
        opt = int(choice)
        if q.multiple:
            pend = set(att.pending or [])
            pend ^= {opt}
            att.pending = sorted(pend)
            s.flush()
            return AnswerOutcome(toggled=_question_view(s, att))
        shown = [opt]
    chosen = sorted(order[i] for i in shown)
    ok = chosen == sorted(q.correct)
    s.add(QuizAnswer(attempt_id=att.id, question_id=q.id, chosen=chosen, correct=ok, at=now))
    fb = Feedback(
        index=index,
        total=len(att.question_ids),
        question=q.text,
        options=[q.options[i] for i in order],
        chosen=shown,
        correct=sorted(order.index(c) for c in q.correct),
        is_correct=ok,
        explanation=q.explanation,
    )
    att.position = index + 1
    att.pending = []
    s.flush()
    if att.position < len(att.question_ids):
        return AnswerOutcome(feedback=fb, next=_question_view(s, att))
    return AnswerOutcome(feedback=fb, result=finish_quiz(s, att, now, cfg))


def finish_quiz(s: Session, att: QuizAttempt, now: datetime, cfg: Config) -> Result:
    item = att.item
    answers = list(s.execute(select(QuizAnswer).where(QuizAnswer.attempt_id == att.id)).scalars())
    qs = {
        q.id: q
        for q in s.execute(select(QuizQuestion).where(QuizQuestion.item_id == item.id)).scalars()
    }
    total = len(att.question_ids)
    correct = sum(1 for a in answers if a.correct)
    score = round(100.0 * correct / total, 1) if total else 0.0
    mark = pass_mark(item, cfg)
    passed = score >= mark
    att.finished_at, att.score, att.passed = now, score, passed
    per: dict[str, list[int]] = {}
    for a in answers:
        comp = qs[a.question_id].competency if a.question_id in qs else item.competency
        per.setdefault(comp, []).append(1 if a.correct else 0)
    by_comp = {c: round(100.0 * sum(v) / len(v), 1) for c, v in per.items()}
    s.add(
        AssessmentResult(
            employee_id=att.employee_id,
            source="quiz",
            ref=f"attempt:{att.id}",
            competency=item.competency,
            score=score,
            passed=passed,
            mandatory=item.mandatory,
            at=now,
        )
    )
    used = 0
    cap = max_attempts(item, cfg)
    a = s.get(TrainingAssignment, att.assignment_id) if att.assignment_id else None
    if a is not None:
        s.flush()
        used = _finished_attempts(s, a.id)
        a.best_score = max(a.best_score or 0.0, score)
        if passed:
            a.status, a.completed_at = "passed", now
        elif used >= cap:
            a.status, a.completed_at = "failed", now
    emp = s.get(Employee, att.employee_id)
    assert emp is not None
    remedial: list[str] = []
    path: list[tuple[str, list[str]]] = []
    if item.placement:
        from coaching.training.service.paths import build_path  # paths builds on attempts

        path = build_path(s, emp, by_comp, now, cfg)
    else:
        for comp, pct in sorted(by_comp.items()):
            if pct >= mark:
                continue
            rem = s.execute(
                select(TrainingItem).where(
                    TrainingItem.remedial.is_(True),
                    TrainingItem.active.is_(True),
                    TrainingItem.kind == "quiz",
                    TrainingItem.competency == comp,
                    TrainingItem.id != item.id,
                )
            ).scalar()
            if rem is None:
                continue
            r = assign(
                s,
                rem,
                [emp],
                now,
                target_type="remedial",
                target_ref=f"attempt:{att.id}",
                days=cfg.due_days,
            )
            if r.assigned:
                remedial.append(rem.title)
    s.flush()
    return Result(
        attempt_id=att.id,
        title=item.title,
        score=score,
        passed=passed,
        pass_mark=mark,
        correct=correct,
        total=total,
        attempts_used=used,
        attempts_max=cap,
        assignment_id=att.assignment_id,
        mandatory=item.mandatory,
        placement=item.placement,
        by_competency=by_comp,
        remedial=remedial,
        path=path,
    )
