"""Learning paths (weakest competency first), onboarding, and lookups for pickers and notices."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.people import reachable_chat
from coaching.training.service.attempts import (
    AnswerError,
    LessonView,
    _lesson_view,
)
from coaching.training.service.common import (
    Config,
    items,
)
from coaching.training.service.push import (
    _trainees,
    assign,
)
from db.models import (
    Branch,
    Employee,
    QuizAttempt,
    Team,
    TrainingAssignment,
    TrainingItem,
)
from db.models.results import COMPETENCIES


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
