"""Small builders for test data; each returns ORM rows inside the caller's session."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from coaching import people
from db.models import Branch, Employee, EmployeeRole, GroupChat, Team


def branch(
    s: Session, code: str = "SH", tz: str = "Asia/Shanghai", locale: str = "zh_CN", **kw: object
) -> Branch:
    b = Branch(code=code, name=f"{code} branch", timezone=tz, locale=locale, **kw)
    s.add(b)
    s.flush()
    return b


def team(s: Session, b: Branch, code: str = "T1") -> Team:
    t = Team(code=code, name=f"team {code}", branch_id=b.id)
    s.add(t)
    s.flush()
    return t


def employee(
    s: Session,
    no: str,
    b: Branch,
    *roles: str,
    team: Team | None = None,
    hire_date: date = date(2025, 1, 6),
    name: str | None = None,
    **kw: object,
) -> Employee:
    e = Employee(
        employee_no=no,
        name=name or f"员工{no}",
        branch_id=b.id,
        team_id=team.id if team else None,
        hire_date=hire_date,
        **kw,
    )
    e.role_rows = [EmployeeRole(role=r) for r in (roles or ("collector",))]
    s.add(e)
    s.flush()
    return e


def bind(s: Session, e: Employee, tg_id: int, now: datetime) -> None:
    people.bind(s, e, tg_id, tg_id, now)


def hr_chat(
    s: Session, chat_id: int, b: Branch | None, now: datetime, purpose: str = "hr_alerts"
) -> GroupChat:
    g = GroupChat(
        chat_id=chat_id,
        purpose=purpose,
        branch_id=b.id if b else None,
        title="HR",
        registered_at=now,
    )
    s.add(g)
    s.flush()
    return g
