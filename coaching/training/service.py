"""Pushing content, taking quizzes and courses, scoring, remedial rules and learning paths.

Pure domain code: every function takes a Session and an explicit `now`; no Telegram here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.people import reachable_chat
from db.models import (
    AssessmentResult,
    Branch,
    Employee,
    EmployeeRole,
    QuizAnswer,
    QuizAttempt,
    QuizQuestion,
    Team,
    TrainingAssignment,
    TrainingItem,
    TrainingPush,
)
from db.models.org import EmployeeStatus
from db.models.results import COMPETENCIES

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


# --- targeting and deadlines -----------------------------------------------------------------


class TargetError(StrEnum):
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_PERSON = "unknown_person"
    UNKNOWN_TEAM = "unknown_team"
    UNKNOWN_BRANCH = "unknown_branch"
    BAD_DAYS = "bad_days"
    UNKNOWN_ITEM = "unknown_item"


def _trainees():  # type: ignore[no-untyped-def]
    return (
        select(Employee)
        .where(Employee.status != EmployeeStatus.LEFT)
        .where(
            Employee.id.in_(
                select(EmployeeRole.employee_id).where(EmployeeRole.role.in_(TRAINEE_ROLES))
            )
        )
        .order_by(Employee.employee_no)
    )


def resolve_targets(
    s: Session, target_type: str, ref: str, now: datetime
) -> list[Employee] | TargetError:
    """Who a push reaches. `new_hires` takes "N" or "N:BRANCH" (hired in the last N days)."""
    if target_type == "person":
        emp = s.execute(
            select(Employee).where(
                Employee.employee_no == ref.strip(), Employee.status != EmployeeStatus.LEFT
            )
        ).scalar_one_or_none()
        return [emp] if emp is not None else TargetError.UNKNOWN_PERSON
    if target_type == "team":
        team = s.execute(select(Team).where(Team.code == ref.strip())).scalar_one_or_none()
        if team is None:
            return TargetError.UNKNOWN_TEAM
        return list(s.execute(_trainees().where(Employee.team_id == team.id)).scalars())
    if target_type == "branch":
        br = s.execute(select(Branch).where(Branch.code == ref.strip())).scalar_one_or_none()
        if br is None:
            return TargetError.UNKNOWN_BRANCH
        return list(s.execute(_trainees().where(Employee.branch_id == br.id)).scalars())
    if target_type == "new_hires":
        days_s, _, branch_code = ref.partition(":")
        if not days_s.isdigit() or int(days_s) < 1:
            return TargetError.BAD_DAYS
        q = _trainees()
        if branch_code:
            br = s.execute(select(Branch).where(Branch.code == branch_code)).scalar_one_or_none()
            if br is None:
                return TargetError.UNKNOWN_BRANCH
            q = q.where(Employee.branch_id == br.id)
        out = []
        for emp in s.execute(q).scalars():
            today = now.astimezone(ZoneInfo(emp.branch.timezone)).date()
            if emp.hire_date >= today - timedelta(days=int(days_s)):
                out.append(emp)
        return out
    return TargetError.UNKNOWN_TYPE


def due_at(tz: str, now: datetime, *, days: int | None = None, on: date | None = None) -> datetime:
    """The end (23:59:59) of the deadline day in the trainee's branch time zone, in UTC.

    `days` counts from the trainee's local today; `on` is an explicit local date."""
    zone = ZoneInfo(tz)
    day = on if on is not None else now.astimezone(zone).date() + timedelta(days=days or 0)
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


@dataclass
class PushResult:
    push_id: int
    item_title: str
    assigned: list[str] = field(default_factory=list)  # employee numbers
    skipped: list[str] = field(default_factory=list)  # already had it open
    due_local: dict[str, str] = field(default_factory=dict)  # employee_no -> local due date


def assign(
    s: Session,
    item: TrainingItem,
    employees: list[Employee],
    now: datetime,
    *,
    target_type: str,
    target_ref: str = "",
    days: int,
    on: date | None = None,
    by_id: int | None = None,
    path_rank: int | None = None,
    skip_passed: bool = False,
) -> PushResult:
    push = TrainingPush(
        item_id=item.id,
        target_type=target_type,
        target_ref=target_ref[:64],
        due_days=days,
        created_by_id=by_id,
        created_at=now,
    )
    s.add(push)
    s.flush()
    res = PushResult(push.id, item.title)
    skip_status = ("open", "passed") if skip_passed else ("open",)
    have = set(
        s.execute(
            select(TrainingAssignment.employee_id).where(
                TrainingAssignment.item_id == item.id,
                TrainingAssignment.employee_id.in_([e.id for e in employees]),
                TrainingAssignment.status.in_(skip_status),
            )
        ).scalars()
    )
    for emp in employees:
        if emp.id in have:
            res.skipped.append(emp.employee_no)
            continue
        due = due_at(emp.branch.timezone, now, days=days, on=on)
        s.add(
            TrainingAssignment(
                push_id=push.id,
                item_id=item.id,
                employee_id=emp.id,
                due_at=due,
                status="open",
                path_rank=path_rank,
                created_at=now,
            )
        )
        res.assigned.append(emp.employee_no)
        res.due_local[emp.employee_no] = (
            due.astimezone(ZoneInfo(emp.branch.timezone)).date().isoformat()
        )
    s.flush()
    return res


def push(
    s: Session,
    slug_or_id: str | int,
    target_type: str,
    ref: str,
    now: datetime,
    *,
    days: int | None = None,
    on: date | None = None,
    by_id: int | None = None,
    cfg: Config = Config(),
) -> PushResult | TargetError:
    """A trainer's push of a course or quiz to a person, team, branch or the new hires."""
    if isinstance(slug_or_id, int):
        item = s.get(TrainingItem, slug_or_id)
    else:
        item = item_by_slug(s, slug_or_id)
    if item is None or not item.active:
        return TargetError.UNKNOWN_ITEM
    if target_type not in TARGET_TYPES:
        return TargetError.UNKNOWN_TYPE
    targets = resolve_targets(s, target_type, ref, now)
    if isinstance(targets, TargetError):
        return targets
    if days is None and on is None:
        days = cfg.due_days
    if on is not None:
        days = max(0, (on - now.date()).days)
    return assign(
        s,
        item,
        targets,
        now,
        target_type=target_type,
        target_ref=ref,
        days=days or 0,
        on=on,
        by_id=by_id,
    )


# --- the trainee's list ----------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentView:
    id: int
    slug: str
    title: str
    kind: str
    mandatory: bool
    competency: str
    due_local: str
    overdue: bool
    status: str
    best_score: float | None
    attempts_used: int
    attempts_max: int | None
    path_rank: int | None


def _finished_attempts(s: Session, assignment_id: int) -> int:
    return s.execute(
        select(func.count())
        .select_from(QuizAttempt)
        .where(QuizAttempt.assignment_id == assignment_id, QuizAttempt.finished_at.is_not(None))
    ).scalar_one()


def my_assignments(
    s: Session, employee_id: int, now: datetime, cfg: Config, *, include_done: bool = False
) -> list[AssignmentView]:
    emp = s.get(Employee, employee_id)
    assert emp is not None
    tz = ZoneInfo(emp.branch.timezone)
    q = select(TrainingAssignment).where(TrainingAssignment.employee_id == employee_id)
    if not include_done:
        q = q.where(TrainingAssignment.status == "open")
    rows = s.execute(
        q.order_by(
            TrainingAssignment.path_rank.is_(None),
            TrainingAssignment.path_rank,
            TrainingAssignment.due_at,
            TrainingAssignment.id,
        )
    ).scalars()
    out = []
    for a in rows:
        it = a.item
        out.append(
            AssignmentView(
                id=a.id,
                slug=it.slug,
                title=it.title,
                kind=it.kind,
                mandatory=it.mandatory,
                competency=it.competency,
                due_local=a.due_at.astimezone(tz).strftime("%Y-%m-%d"),
                overdue=a.status == "open" and a.due_at < now,
                status=a.status,
                best_score=a.best_score,
                attempts_used=_finished_attempts(s, a.id),
                attempts_max=max_attempts(it, cfg) if it.kind == "quiz" else None,
                path_rank=a.path_rank,
            )
        )
    return out


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


def order_weakest_first(by_comp: dict[str, float]) -> list[str]:
    """All five competencies, weakest first; unknown ones count as 0; ties keep the
    COMPETENCIES order."""
    return sorted(COMPETENCIES, key=lambda c: (by_comp.get(c, 0.0), COMPETENCIES.index(c)))


def build_path(
    s: Session, emp: Employee, by_comp: dict[str, float], now: datetime, cfg: Config
) -> list[tuple[str, list[str]]]:
    """Assign each competency's material, weakest competency first, with staggered deadlines."""
    out = []
    for rank, comp in enumerate(order_weakest_first(by_comp), start=1):
        mats = list(
            s.execute(
                select(TrainingItem)
                .where(
                    TrainingItem.active.is_(True),
                    TrainingItem.competency == comp,
                    TrainingItem.placement.is_(False),
                    TrainingItem.mandatory.is_(False),
                )
                .order_by(TrainingItem.kind, TrainingItem.slug)  # courses before quizzes
            ).scalars()
        )
        titles = []
        for it in mats:
            r = assign(
                s,
                it,
                [emp],
                now,
                target_type="path",
                target_ref=f"{emp.employee_no}:{comp}",
                days=cfg.due_days * rank,
                path_rank=rank,
                skip_passed=True,
            )
            if r.assigned:
                titles.append(it.title)
        out.append((comp, titles))
    return out


def lesson_next(
    s: Session, attempt_id: int, employee_id: int, index: int, now: datetime
) -> LessonView | str | AnswerError:
    """Move past lesson `index`; returns the next lesson, or the course title when done."""
    att = s.get(QuizAttempt, attempt_id, with_for_update=True)
    if att is None or att.employee_id != employee_id:
        return AnswerError.NOT_YOURS
    if att.finished_at is not None or att.position != index or att.item.kind != "course":
        return AnswerError.STALE
    att.position = index + 1
    if att.position < len(att.item.lessons):
        s.flush()
        return _lesson_view(att)
    att.finished_at, att.passed, att.score = now, True, None
    a = s.get(TrainingAssignment, att.assignment_id) if att.assignment_id else None
    if a is not None:
        a.status, a.completed_at = "passed", now
    s.flush()
    return att.item.title


def ensure_onboarding(s: Session, branch_id: int, now: datetime, cfg: Config) -> int:
    """New hires (last `new_hire_days`) get every mandatory item and the placement quiz once."""
    onboarding = list(
        s.execute(
            select(TrainingItem).where(
                TrainingItem.active.is_(True),
                (TrainingItem.mandatory.is_(True)) | (TrainingItem.placement.is_(True)),
            )
        ).scalars()
    )
    if not onboarding:
        return 0
    n = 0
    for emp in s.execute(_trainees().where(Employee.branch_id == branch_id)).scalars():
        today = now.astimezone(ZoneInfo(emp.branch.timezone)).date()
        if emp.hire_date < today - timedelta(days=cfg.new_hire_days):
            continue
        for it in onboarding:
            ever = s.execute(
                select(func.count())
                .select_from(TrainingAssignment)
                .where(
                    TrainingAssignment.item_id == it.id, TrainingAssignment.employee_id == emp.id
                )
            ).scalar_one()
            if ever:
                continue
            r = assign(
                s,
                it,
                [emp],
                now,
                target_type="onboarding",
                target_ref=emp.employee_no,
                days=cfg.due_days,
            )
            n += len(r.assigned)
    return n


# --- lookups for the chat pickers and notices --------------------------------------------------


def notify_targets(s: Session, push_id: int) -> list[tuple[int, str, str, str, bool]]:
    """(chat_id, locale, title, local due date, mandatory) of everyone a push reached."""
    out = []
    for a in s.execute(
        select(TrainingAssignment).where(TrainingAssignment.push_id == push_id)
    ).scalars():
        emp = s.get(Employee, a.employee_id)
        assert emp is not None
        chat_id = reachable_chat(emp)
        if chat_id is None:
            continue
        due = a.due_at.astimezone(ZoneInfo(emp.branch.timezone)).strftime("%Y-%m-%d")
        out.append((chat_id, emp.effective_locale, a.item.title, due, a.item.mandatory))
    return out


def picker_data(s: Session, item_id: int) -> tuple[str, list[tuple[int, str]], list[str]]:
    """The item's title, every team (id, code) and every branch code."""
    it = s.get(TrainingItem, item_id)
    teams = [(tm.id, tm.code) for tm in s.execute(select(Team).order_by(Team.code)).scalars()]
    branches = [b.code for b in s.execute(select(Branch).order_by(Branch.code)).scalars()]
    return (it.title if it else "?"), teams, branches


def team_members(s: Session, team_id: int) -> tuple[str, list[tuple[str, str]]]:
    tm = s.get(Team, team_id)
    rows = s.execute(_trainees().where(Employee.team_id == team_id)).scalars()
    return (tm.code if tm else "?"), [(e.employee_no, e.name) for e in rows]


def item_choices(s: Session) -> list[tuple[int, str]]:
    return [(i.id, i.title) for i in items(s)]
