"""Leave and employees (roles and statuses in Chinese or English)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from coaching.ingest.kinds.base import (
    Col,
    Day,
    EmpStatus,
    Kind,
    LeaveKind,
    Problem,
    Ref,
    Refs,
    Row,
)
from db.models.org import Role
from db.models.work import (
    Leave,
)


class LeaveRow(Row):
    employee: Ref
    start_date: Day
    end_date: Day
    kind: LeaveKind = "annual"


def resolve_leave(r: LeaveRow, refs: Refs) -> tuple[Any, ...]:
    emp = refs.employee("employee", r.employee)
    if r.end_date < r.start_date:
        raise Problem("end_date", "ends before it starts")
    return (emp.id, r.start_date, r.end_date, r.kind)


LEAVE = Kind(
    name="leave",
    title="请假 leave",
    table=Leave.__table__,  # type: ignore[arg-type]
    columns=(
        Col(
            "employee",
            ("工号", "员工编号", "员工工号"),
            "text",
            True,
            "C0001",
            "Employee number (must exist).",
            ("employee_no",),
        ),
        Col("start_date", ("开始日期", "请假开始"), "date", True, "2026-03-05", "First day."),
        Col("end_date", ("结束日期", "请假结束"), "date", True, "2026-03-06", "Last day."),
        Col(
            "kind",
            ("请假类型", "类型"),
            "annual / sick / personal / maternity / other",
            False,
            "年假",
            "年假 / 病假 / 事假 / 产假 / 其他 accepted; default annual.",
            ("type",),
        ),
    ),
    model=LeaveRow,
    db_columns=("employee_id", "start_date", "end_date", "kind"),
    natural_key=("employee_id", "start_date", "kind"),
    sources={"end_date": ("end_date",)},
    resolve=resolve_leave,
)

# employees (stored through the ORM: roles live in a child table) -------------------------------


class EmployeeRow(Row):
    employee_no: Annotated[str, Field(min_length=1, max_length=32)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    branch: Ref
    team: Ref | None = None
    roles: Annotated[str, Field(min_length=1)]
    hire_date: Day
    status: EmpStatus = "active"
    left_on: Day | None = None
    locale: Annotated[str, Field(pattern=r"^(zh_CN|en)$")] | None = None


_ROLE_ZH = {
    "催收员": "collector",
    "组长": "team_lead",
    "培训": "trainer",
    "培训师": "trainer",
    "人事": "hr",
    "管理员": "admin",
}
_ROLES = {r.value for r in Role}


def resolve_employee(r: EmployeeRow, refs: Refs) -> tuple[Any, ...]:
    branch_id = refs.branches.get(r.branch)
    if branch_id is None:
        raise Problem("branch", "unknown branch code")
    team_id = None
    if r.team:
        team = refs.teams.get(r.team)
        if team is None:
            raise Problem("team", "unknown team code")
        if team[1] != branch_id:
            raise Problem("team", "team belongs to another branch")
        team_id = team[0]
    roles = []
    for part in r.roles.replace(",", ";").replace("，", ";").replace("、", ";").split(";"):
        p = part.strip()
        if p:
            roles.append(_ROLE_ZH.get(p, p.lower()))
    bad = [x for x in roles if x not in _ROLES]
    if bad or not roles:
        raise Problem("roles", f"use {';'.join(sorted(_ROLES))}")
    if r.left_on is not None and r.left_on < r.hire_date:
        raise Problem("left_on", "left before being hired")
    return (
        r.employee_no,
        r.name,
        branch_id,
        team_id,
        tuple(sorted(set(roles))),
        r.hire_date,
        r.status,
        r.left_on,
        r.locale,
    )


EMPLOYEES = Kind(
    name="employees",
    title="员工 employees",
    table=None,
    columns=(
        Col(
            "employee_no",
            ("工号", "员工编号"),
            "text ≤ 32",
            True,
            "C0001",
            "Employee number (natural key).",
        ),
        Col("name", ("姓名", "员工姓名"), "text ≤ 100", True, "王小明", "Employee name."),
        Col("branch", ("分公司", "分公司代码"), "branch code", True, "SH", "Branch code."),
        Col("team", ("团队", "小组", "团队代码"), "team code", False, "SH-A", "Team code."),
        Col(
            "roles",
            ("角色",),
            "list",
            True,
            "collector;team_lead",
            "collector, team_lead, trainer, hr, admin (催收员, 组长, 培训, 人事), ; separated.",
        ),
        Col("hire_date", ("入职日期",), "date", True, "2025-06-01", "Hire date."),
        Col(
            "status",
            ("状态", "在职状态"),
            "active / on_leave / left",
            False,
            "在职",
            "在职 / 休假 / 离职 accepted; default active.",
        ),
        Col("left_on", ("离职日期",), "date", False, "", "Last day for leavers."),
        Col("locale", ("语言",), "zh_CN / en", False, "zh_CN", "Bot language; default branch's."),
    ),
    model=EmployeeRow,
    db_columns=(
        "employee_no",
        "name",
        "branch_id",
        "team_id",
        "roles",
        "hire_date",
        "status",
        "left_on",
        "locale",
    ),
    natural_key=("employee_no",),
    sources={
        "name": ("name",),
        "branch_id": ("branch",),
        "team_id": ("team",),
        "roles": ("roles",),
        "hire_date": ("hire_date",),
        "status": ("status",),
        "left_on": ("left_on",),
        "locale": ("locale",),
    },
    resolve=resolve_employee,
    needs=frozenset({"branches"}),
)
