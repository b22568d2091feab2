"""Trainer analytics: completion per push, pass rate per quiz, correct rate per question,
trainees falling behind. The same figures feed /stats, the weekly digest and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.training.service import Config, assign
from db.models import (
    Employee,
    QuizAnswer,
    QuizAttempt,
    QuizQuestion,
    Team,
    TrainingAssignment,
    TrainingItem,
    TrainingPush,
)

COMPLETION_FLAG = 80.0
TRAINER_TARGETS = ("person", "team", "branch", "new_hires")
QUESTION_FLAG = 70.0


@dataclass
class PushStat:
    push_id: int
    slug: str
    title: str
    target: str
    created_at: str
    assigned: int
    completed: int
    overdue: int
    completion_pct: float
    flagged: bool
    # Some deadline of this push has passed: only then can it be late or flagged.
    due_passed: bool = False


@dataclass
class QuizStat:
    slug: str
    title: str
    trainees: int  # with at least one finished attempt
    passed: int
    pass_pct: float | None
    attempts: int


@dataclass
class QuestionStat:
    question_id: int
    slug: str
    qkey: str
    text: str
    competency: str
    answers: int
    correct: int
    correct_pct: float
    flagged: bool
    quiz_title: str = ""
    number: int = 0  # position of the question in its quiz (1-based)


@dataclass
class Behind:
    employee_no: str
    name: str
    team: str
    overdue: int
    failed_mandatory: int


@dataclass
class Stats:
    as_of: str
    branch: str
    pushes: list[PushStat] = field(default_factory=list)
    quizzes: list[QuizStat] = field(default_factory=list)
    questions: list[QuestionStat] = field(default_factory=list)
    behind: list[Behind] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def flagged_questions(self) -> list[QuestionStat]:
        return [q for q in self.questions if q.flagged]


def _pct(a: int, b: int) -> float:
    return round(100.0 * a / b, 1) if b else 0.0


def compute(
    s: Session, now: datetime, branch_id: int | None = None, branch_label: str = "*"
) -> Stats:
    st = Stats(as_of=now.isoformat(timespec="minutes"), branch=branch_label)
    q = (
        select(TrainingAssignment, Employee)
        .join(Employee, Employee.id == TrainingAssignment.employee_id)
        .order_by(TrainingAssignment.push_id, TrainingAssignment.id)
    )
    if branch_id is not None:
        q = q.where(Employee.branch_id == branch_id)
    rows = s.execute(q).all()
    in_scope = {e.id for _, e in rows}
    # Trainers' pushes one by one; the system's (remedial, path, onboarding) per kind and item.
    by_push: dict[tuple[int, str, int], list[TrainingAssignment]] = {}
    pushes = {p.id: p for p in s.execute(select(TrainingPush)).scalars()}
    for a, _ in rows:
        p = pushes[a.push_id]
        key = (p.id, "", 0) if p.target_type in TRAINER_TARGETS else (0, p.target_type, p.item_id)
        by_push.setdefault(key, []).append(a)
    for key, assigns in sorted(by_push.items(), key=lambda kv: min(a.push_id for a in kv[1])):
        p = pushes[key[0] or min(a.push_id for a in assigns)]
        push_id = key[0]
        done = sum(1 for a in assigns if a.status == "passed")
        overdue = sum(
            1 for a in assigns if (a.status == "open" and a.due_at < now) or (a.status == "failed")
        )
        pct = _pct(done, len(assigns))
        due_passed = any(a.due_at < now for a in assigns)
        st.pushes.append(
            PushStat(
                push_id=push_id,
                slug=p.item.slug,
                title=p.item.title,
                target=f"{p.target_type}:{p.target_ref}" if push_id else p.target_type,
                created_at=p.created_at.isoformat(timespec="minutes"),
                assigned=len(assigns),
                completed=done,
                overdue=overdue,
                completion_pct=pct,
                # Only judged once a deadline has passed (or someone failed): a push sent
                # minutes ago is not behind.
                flagged=pct < COMPLETION_FLAG and (due_passed or overdue > 0),
                due_passed=due_passed,
            )
        )
    # Pass rate per quiz: trainees whose best attempt passed / trainees who finished one.
    att_rows = s.execute(
        select(QuizAttempt).where(
            QuizAttempt.finished_at.is_not(None), QuizAttempt.score.is_not(None)
        )
    ).scalars()
    per_quiz: dict[int, dict[int, bool]] = {}
    n_attempts: dict[int, int] = {}
    for att in att_rows:
        if branch_id is not None and att.employee_id not in in_scope:
            continue
        d = per_quiz.setdefault(att.item_id, {})
        d[att.employee_id] = d.get(att.employee_id, False) or bool(att.passed)
        n_attempts[att.item_id] = n_attempts.get(att.item_id, 0) + 1
    for item_id, people in sorted(per_quiz.items()):
        it = s.get(TrainingItem, item_id)
        assert it is not None
        passed = sum(1 for v in people.values() if v)
        st.quizzes.append(
            QuizStat(
                slug=it.slug,
                title=it.title,
                trainees=len(people),
                passed=passed,
                pass_pct=_pct(passed, len(people)),
                attempts=n_attempts[item_id],
            )
        )
    # Correct rate per question, over every recorded answer.
    ans = s.execute(
        select(QuizAnswer.question_id, QuizAnswer.correct, QuizAttempt.employee_id).join(
            QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id
        )
    ).all()
    per_q: dict[int, list[int]] = {}
    for qid, ok, emp_id in ans:
        if branch_id is not None and emp_id not in in_scope:
            continue
        v = per_q.setdefault(qid, [0, 0])
        v[0] += 1
        v[1] += 1 if ok else 0
    qrows = {
        qq.id: qq
        for qq in s.execute(select(QuizQuestion).where(QuizQuestion.id.in_(per_q))).scalars()
    }
    for qid, (n, ok) in per_q.items():
        qq = qrows[qid]
        pct = _pct(ok, n)
        st.questions.append(
            QuestionStat(
                question_id=qid,
                slug=qq.item.slug,
                qkey=qq.qkey,
                text=qq.text[:60],
                competency=qq.competency,
                answers=n,
                correct=ok,
                correct_pct=pct,
                flagged=pct < QUESTION_FLAG,
                quiz_title=qq.item.title,
                number=qq.position + 1,
            )
        )
    st.questions.sort(key=lambda x: (x.slug, x.correct_pct, x.qkey))
    # Trainees falling behind: overdue open assignments or failed mandatory ones.
    behind: dict[int, list[int]] = {}
    emps = {e.id: e for _, e in rows}
    for a, e in rows:
        if a.status == "open" and a.due_at < now:
            behind.setdefault(e.id, [0, 0])[0] += 1
        elif a.status == "failed" and a.item.mandatory:
            behind.setdefault(e.id, [0, 0])[1] += 1
    teams = {t.id: t.code for t in s.execute(select(Team)).scalars()}
    for emp_id, (od, fm) in sorted(behind.items(), key=lambda kv: (-sum(kv[1]), kv[0])):
        e = emps[emp_id]
        st.behind.append(Behind(e.employee_no, e.name, teams.get(e.team_id or 0, "-"), od, fm))
    return st


def remedial_for_question(
    s: Session,
    question_id: int,
    now: datetime,
    cfg: Config,
    *,
    by_id: int | None = None,
    branch_id: int | None = None,
) -> tuple[str, list[str]] | None:
    """One-tap remedial push: the question's competency quiz to everyone whose latest answer
    to it was wrong. Returns (quiz title, employee numbers assigned) or None without one."""
    qq = s.get(QuizQuestion, question_id)
    if qq is None:
        return None
    rem = s.execute(
        select(TrainingItem).where(
            TrainingItem.remedial.is_(True),
            TrainingItem.active.is_(True),
            TrainingItem.competency == qq.competency,
        )
    ).scalar()
    if rem is None:
        return None
    latest: dict[int, bool] = {}
    for emp_id, ok in s.execute(
        select(QuizAttempt.employee_id, QuizAnswer.correct)
        .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
        .where(QuizAnswer.question_id == question_id)
        .order_by(QuizAnswer.at, QuizAnswer.id)
    ).all():
        latest[emp_id] = bool(ok)
    wrong = [i for i, ok in latest.items() if not ok]
    emps = [
        e
        for e in s.execute(select(Employee).where(Employee.id.in_(wrong))).scalars()
        if branch_id is None or e.branch_id == branch_id
    ]
    r = assign(
        s,
        rem,
        emps,
        now,
        target_type="remedial",
        target_ref=f"q:{question_id}",
        days=cfg.due_days,
        by_id=by_id,
    )
    return rem.title, r.assigned
