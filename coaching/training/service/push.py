"""Pushing content: targets, deadlines, assignments, and the trainee's list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.training.service.common import (
    TARGET_TYPES,
    TRAINEE_ROLES,
    Config,
    item_by_slug,
    max_attempts,
)
from db.models import (
    Branch,
    Employee,
    EmployeeRole,
    QuizAttempt,
    Team,
    TrainingAssignment,
    TrainingItem,
    TrainingPush,
)
from db.models.org import EmployeeStatus

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
