"""Trainee questions: /ask goes to the trainee's trainers; the 24-hour answer clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.people import reachable_chat
from db.models import (
    Employee,
    EmployeeRole,
    Outbox,
    QuestionForward,
    TelegramBinding,
    TraineeQuestion,
)
from db.models.org import EmployeeStatus

REMINDER_KIND = "training_question_reminder"


def redact(text: str) -> str:
    """Questions and answers go through the one redactor (`coaching.redact`): no personal
    data reaches storage or the trainers' chats."""
    from coaching.redact import redact as _redact

    return _redact(text)


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    locale: str
    trainer_id: int | None  # None for the trainers' group chat


def trainers_for(s: Session, branch_id: int) -> list[Recipient]:
    """The trainee's trainers: bound trainers of the same branch, else the trainers' chat."""
    from coaching.people import group_chats_for

    rows = s.execute(
        select(Employee, TelegramBinding)
        .join(TelegramBinding, TelegramBinding.employee_id == Employee.id)
        .join(EmployeeRole, EmployeeRole.employee_id == Employee.id)
        .where(
            EmployeeRole.role == "trainer",
            Employee.branch_id == branch_id,
            Employee.status != EmployeeStatus.LEFT,
            TelegramBinding.active.is_(True),
        )
        .order_by(Employee.employee_no)
    ).all()
    out = [Recipient(b.chat_id, e.effective_locale, e.id) for e, b in rows]
    if out:
        return out
    return [Recipient(c, "zh_CN", None) for c in group_chats_for(s, "trainers", branch_id)]


@dataclass(frozen=True)
class Asked:
    question_id: int
    text: str
    employee_no: str
    name: str
    recipients: list[Recipient]


def ask(s: Session, employee_id: int, text: str, now: datetime) -> Asked:
    emp = s.get(Employee, employee_id)
    assert emp is not None
    q = TraineeQuestion(employee_id=emp.id, text=redact(text.strip())[:2000], asked_at=now)
    s.add(q)
    s.flush()
    return Asked(q.id, q.text, emp.employee_no, emp.name, trainers_for(s, emp.branch_id))


def record_forward(s: Session, question_id: int, chat_id: int, message_id: int) -> None:
    s.add(QuestionForward(question_id=question_id, chat_id=chat_id, message_id=message_id))


def find_by_reply(s: Session, chat_id: int, message_id: int) -> int | None:
    """The question shown in that message (a forward, or a 24-hour reminder)."""
    qid = s.execute(
        select(QuestionForward.question_id).where(
            QuestionForward.chat_id == chat_id, QuestionForward.message_id == message_id
        )
    ).scalar()
    if qid is not None:
        return int(qid)
    key = s.execute(
        select(Outbox.dedupe_key).where(
            Outbox.chat_id == chat_id, Outbox.message_id == message_id, Outbox.kind == REMINDER_KIND
        )
    ).scalar()
    if key:  # "tq-remind:<question id>:<chat>"
        return int(key.split(":")[1])
    return None


@dataclass(frozen=True)
class Answered:
    question_id: int
    question: str
    answer: str
    trainee_chat_id: int | None
    trainee_locale: str
    trainer_name: str
    already: bool
    hours: float


def answer(
    s: Session, question_id: int, trainer_id: int, text: str, now: datetime
) -> Answered | None:
    q = s.get(TraineeQuestion, question_id, with_for_update=True)
    trainer = s.get(Employee, trainer_id)
    if q is None or trainer is None:
        return None
    emp = s.get(Employee, q.employee_id)
    assert emp is not None
    already = q.answered_at is not None
    if not already:
        q.answered_at, q.answered_by_id, q.answer = now, trainer_id, redact(text.strip())[:2000]
    return Answered(
        question_id=q.id,
        question=q.text,
        answer=q.answer or "",
        trainee_chat_id=reachable_chat(emp),
        trainee_locale=emp.effective_locale,
        trainer_name=trainer.name,
        already=already,
        hours=round(((q.answered_at or now) - q.asked_at).total_seconds() / 3600, 1),
    )


@dataclass(frozen=True)
class Overdue:
    question_id: int
    text: str
    employee_no: str
    name: str
    hours: int
    recipients: list[Recipient]


def flag_overdue(s: Session, branch_id: int, now: datetime, hours: int = 24) -> list[Overdue]:
    """Questions of the branch's trainees unanswered for more than `hours`: flag them (once)
    and return them so the job reminds their trainers."""
    rows = s.execute(
        select(TraineeQuestion, Employee)
        .join(Employee, Employee.id == TraineeQuestion.employee_id)
        .where(
            Employee.branch_id == branch_id,
            TraineeQuestion.answered_at.is_(None),
            TraineeQuestion.overdue_flagged_at.is_(None),
            TraineeQuestion.asked_at < now - timedelta(hours=hours),
        )
        .order_by(TraineeQuestion.id)
    ).all()
    out = []
    for q, emp in rows:
        q.overdue_flagged_at = now
        recips = trainers_for(s, branch_id)
        # The reminder also goes to the trainers' chat, where anyone may pick it up.
        from coaching.people import group_chats_for

        chats = {r.chat_id for r in recips}
        for c in group_chats_for(s, "trainers", branch_id):
            if c not in chats:
                recips.append(Recipient(c, "zh_CN", None))
        out.append(
            Overdue(
                q.id,
                q.text,
                emp.employee_no,
                emp.name,
                int((now - q.asked_at).total_seconds() // 3600),
                recips,
            )
        )
    s.flush()
    return out
