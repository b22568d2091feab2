"""Exit workflow: record a resignation (CLI at once, bot step by step), list exits, rehire.

Recording sets the employee to `left` with `left_on` = last day; `people.has_access` then
ends bot access after that day. A rehire sets them active with a new hire date and keeps the
exit record (with `rehired_on`), so attrition history still counts the earlier stint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coaching.people import audit, employee_by_no
from db.models import Employee, ExitRecord
from db.models.org import EmployeeStatus

CATEGORIES = ("personal", "internal", "external")
# Steps of the bot's exit form, in order; each names the field the next input fills.
STEPS = ("category", "last_day", "detail", "handover", "interview", "confirm")
DONE_WORDS = ("完成", "好了", "好", "done", "ok")


class ExitError(ValueError):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return self.code.replace("_", " ") + (f" ({extra})" if extra else "")


def _employee(s: Session, employee_no: str, scope_branch: int | None) -> Employee:
    emp = employee_by_no(s, employee_no)
    if emp is None:
        raise ExitError("unknown_employee", employee_no=employee_no)
    if scope_branch is not None and emp.branch_id != scope_branch:
        raise ExitError("other_branch", employee_no=employee_no)
    return emp


def _apply(s: Session, rec: ExitRecord, emp: Employee, now: datetime) -> None:
    if emp.status == EmployeeStatus.LEFT:
        raise ExitError("already_left", employee_no=emp.employee_no, left_on=emp.left_on)
    if rec.reason_category not in CATEGORIES:
        raise ExitError("bad_category", category=rec.reason_category, allowed="/".join(CATEGORIES))
    if rec.last_day is None or rec.last_day < emp.hire_date:
        raise ExitError("before_hire", last_day=rec.last_day, hire_date=emp.hire_date)
    rec.status = "recorded"
    rec.stint_start = emp.hire_date
    rec.awaiting = None
    rec.recorded_at = now
    emp.status = EmployeeStatus.LEFT
    emp.left_on = rec.last_day
    # Any other half-filled form for this person is moot now.
    s.execute(
        update(ExitRecord)
        .where(
            ExitRecord.employee_id == emp.id,
            ExitRecord.status == "draft",
            ExitRecord.id != rec.id,
        )
        .values(status="cancelled", awaiting=None)
    )
    audit(
        s,
        now,
        "hr:exit_record",
        "allowed",
        employee_id=rec.recorded_by_id,
        detail=f"{emp.employee_no} last day {rec.last_day} {rec.reason_category}",
    )


def record_exit(
    s: Session,
    employee_no: str,
    *,
    last_day: date,
    category: str,
    detail: str = "",
    handover: list[str] | None = None,
    interview: str = "",
    by_id: int | None = None,
    now: datetime,
    scope_branch: int | None = None,
) -> ExitRecord:
    emp = _employee(s, employee_no, scope_branch)
    rec = ExitRecord(
        employee_id=emp.id,
        status="draft",
        stint_start=emp.hire_date,
        last_day=last_day,
        reason_category=category,
        detail=detail[:500],
        handover=[h.strip() for h in handover or [] if h.strip()],
        interview_notes=interview,
        recorded_by_id=by_id,
        recorded_at=now,
    )
    _apply(s, rec, emp, now)
    s.add(rec)
    s.flush()
    return rec


def rehire(s: Session, employee_no: str, on: date, now: datetime) -> Employee:
    emp = _employee(s, employee_no, None)
    if emp.status != EmployeeStatus.LEFT:
        raise ExitError("not_left", employee_no=employee_no)
    if emp.left_on is not None and on <= emp.left_on:
        raise ExitError("rehire_before_exit", on=on, left_on=emp.left_on)
    rec = s.execute(
        select(ExitRecord)
        .where(ExitRecord.employee_id == emp.id, ExitRecord.status == "recorded")
        .order_by(ExitRecord.recorded_at.desc(), ExitRecord.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if rec is None or rec.rehired_on is not None:
        # Left without an exit record (e.g. `coachbot employee leave`): keep the stint anyway.
        rec = ExitRecord(
            employee_id=emp.id,
            status="recorded",
            stint_start=emp.hire_date,
            last_day=emp.left_on or on,
            reason_category=None,
            recorded_at=now,
        )
        s.add(rec)
    rec.rehired_on = on
    emp.status = EmployeeStatus.ACTIVE
    emp.left_on = None
    emp.hire_date = on
    audit(s, now, "hr:exit_rehire", "allowed", detail=f"{employee_no} rehired {on}")
    s.flush()
    return emp


@dataclass(frozen=True)
class ExitRow:
    employee_no: str
    name: str
    branch: str
    team: str
    stint_start: date
    last_day: date | None
    category: str
    detail: str
    handover: list[str]
    interview: str
    rehired_on: date | None


def list_exits(
    s: Session, since: date | None = None, branch_id: int | None = None
) -> list[ExitRow]:
    q = (
        select(ExitRecord, Employee)
        .join(Employee, Employee.id == ExitRecord.employee_id)
        .where(ExitRecord.status == "recorded")
    )
    if since is not None:
        q = q.where(ExitRecord.last_day >= since)
    if branch_id is not None:
        q = q.where(Employee.branch_id == branch_id)
    rows = s.execute(q.order_by(ExitRecord.last_day.desc(), Employee.employee_no)).all()
    return [
        ExitRow(
            emp.employee_no,
            emp.name,
            emp.branch.code,
            emp.team.code if emp.team else "-",
            rec.stint_start,
            rec.last_day,
            rec.reason_category or "unrecorded",
            rec.detail,
            list(rec.handover or []),
            rec.interview_notes,
            rec.rehired_on,
        )
        for rec, emp in rows
    ]


# --- the bot's step-by-step form -----------------------------------------------------------


def start_draft(
    s: Session,
    employee_no: str,
    by_id: int,
    chat_id: int,
    scope_branch: int | None,
    now: datetime,
) -> ExitRecord:
    emp = _employee(s, employee_no, scope_branch)
    if emp.status == EmployeeStatus.LEFT:
        raise ExitError("already_left", employee_no=emp.employee_no, left_on=emp.left_on)
    # One open form per HR person and chat: a new /exit replaces the old one.
    s.execute(
        update(ExitRecord)
        .where(
            ExitRecord.recorded_by_id == by_id,
            ExitRecord.chat_id == chat_id,
            ExitRecord.status == "draft",
        )
        .values(status="cancelled", awaiting=None)
    )
    rec = ExitRecord(
        employee_id=emp.id,
        status="draft",
        stint_start=emp.hire_date,
        recorded_by_id=by_id,
        recorded_at=now,
        chat_id=chat_id,
        awaiting="category",
        handover=[],
    )
    s.add(rec)
    s.flush()
    return rec


def draft(s: Session, draft_id: int, by_id: int) -> ExitRecord:
    rec = s.get(ExitRecord, draft_id)
    if rec is None or rec.status != "draft" or rec.recorded_by_id != by_id:
        raise ExitError("no_draft")
    return rec


def open_draft(s: Session, by_id: int, chat_id: int) -> ExitRecord | None:
    return s.execute(
        select(ExitRecord)
        .where(
            ExitRecord.recorded_by_id == by_id,
            ExitRecord.chat_id == chat_id,
            ExitRecord.status == "draft",
        )
        .order_by(ExitRecord.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _next(rec: ExitRecord, field: str) -> None:
    rec.awaiting = STEPS[STEPS.index(field) + 1]


def set_category(s: Session, draft_id: int, by_id: int, category: str) -> ExitRecord:
    rec = draft(s, draft_id, by_id)
    if category not in CATEGORIES:
        raise ExitError("bad_category", category=category, allowed="/".join(CATEGORIES))
    rec.reason_category = category
    _next(rec, "category")
    return rec


def set_last_day(s: Session, draft_id: int, by_id: int, day: date) -> ExitRecord:
    rec = draft(s, draft_id, by_id)
    emp = s.get(Employee, rec.employee_id)
    assert emp is not None
    if day < emp.hire_date:
        raise ExitError("before_hire", last_day=day, hire_date=emp.hire_date)
    rec.last_day = day
    _next(rec, "last_day")
    return rec


def take_text(s: Session, by_id: int, chat_id: int, text: str) -> ExitRecord | None:
    """Fill the field the open form waits for; None when no form waits for text here."""
    rec = open_draft(s, by_id, chat_id)
    if rec is None or rec.awaiting not in ("last_day", "detail", "handover", "interview"):
        return None
    value = text.strip()
    skip = value in ("-", "—", "无", "none")
    if rec.awaiting == "last_day":
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ExitError("bad_date", value=value[:20]) from None
        return set_last_day(s, rec.id, by_id, day)
    if rec.awaiting == "detail":
        rec.detail = "" if skip else value[:500]
    elif rec.awaiting == "handover":
        # On a phone the checklist often comes as several messages: collect them into one
        # list until HR says it is complete ("完成" or the button); "-" skips it.
        if value.lower() in DONE_WORDS:
            _next(rec, "handover")
            return rec
        if skip:
            rec.handover = []
        else:
            items = [x.strip(" -•☐") for x in value.splitlines() if x.strip(" -•☐")]
            rec.handover = [*(rec.handover or []), *items][:50]
            return rec
    else:
        rec.interview_notes = "" if skip else value
    _next(rec, rec.awaiting)
    return rec


def finish_handover(s: Session, draft_id: int, by_id: int) -> ExitRecord:
    """The handover checklist is complete: go on to the interview notes."""
    rec = draft(s, draft_id, by_id)
    if rec.awaiting == "handover":
        _next(rec, "handover")
    return rec


def confirm(s: Session, draft_id: int, by_id: int, now: datetime) -> ExitRecord:
    rec = draft(s, draft_id, by_id)
    emp = s.get(Employee, rec.employee_id)
    assert emp is not None
    _apply(s, rec, emp, now)
    return rec


def cancel(s: Session, draft_id: int, by_id: int) -> None:
    rec = draft(s, draft_id, by_id)
    rec.status = "cancelled"
    rec.awaiting = None


def summary(s: Session, rec: ExitRecord) -> dict[str, Any]:
    emp = s.get(Employee, rec.employee_id)
    assert emp is not None
    return {
        "id": rec.id,
        "employee_no": emp.employee_no,
        "name": emp.name,
        "hire_date": emp.hire_date.isoformat(),
        "category": rec.reason_category or "",
        "last_day": rec.last_day.isoformat() if rec.last_day else "",
        "detail": rec.detail,
        "handover": list(rec.handover or []),
        "interview": rec.interview_notes,
        "awaiting": rec.awaiting or "",
        "status": rec.status,
    }
