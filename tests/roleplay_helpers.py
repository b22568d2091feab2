"""Shared seed data for the role-play tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from db.models import AssessmentResult, Drill
from tests import factories as f

if TYPE_CHECKING:
    from tests.conftest import Harness

COLLECTOR, OTHER, HR, STRANGER = 1001, 1002, 2001, 999


def seed(ctx: Any) -> None:
    now = ctx.clock.now()
    with ctx.db.session() as s:
        b = f.branch(s)
        t = f.team(s, b)
        c = f.employee(s, "C0001", b, "collector", team=t, name="张三")
        o = f.employee(s, "C0002", b, "collector", team=t, name="李四")
        h = f.employee(s, "H0001", b, "hr", name="王五")
        f.bind(s, c, COLLECTOR, now)
        f.bind(s, o, OTHER, now)
        f.bind(s, h, HR, now)


async def start_drill(ctx: Any, harness: Harness, scenario: str = "no_money") -> None:
    """The world seeded and COLLECTOR in a drill of `scenario` (its opening line sent)."""
    seed(ctx)
    await harness.chat.send(COLLECTOR, f"/roleplay {scenario}")


def drills(ctx: Any) -> list[Drill]:
    with ctx.db.session() as s:
        rows = list(s.execute(select(Drill).order_by(Drill.id)).scalars())
        s.expunge_all()
        return rows


def results(ctx: Any) -> list[AssessmentResult]:
    with ctx.db.session() as s:
        rows = list(s.execute(select(AssessmentResult).order_by(AssessmentResult.id)).scalars())
        s.expunge_all()
        return rows


def employee_id(s: Any, no: str) -> int:
    from db.models import Employee

    return s.execute(select(Employee.id).where(Employee.employee_no == no)).scalar_one()
