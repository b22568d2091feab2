"""Load employees from a simple CSV (the full importer with every record kind is db/importers).

Columns: employee_no, name, branch, team, roles (`collector;team_lead`), hire_date
(YYYY-MM-DD), status (optional: active / on_leave / left). Upserts on employee_no; any bad row
rejects the whole file with its line number, so nothing is half-loaded.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Branch, Employee, EmployeeRole, Team
from db.models.org import EmployeeStatus, Role

REQUIRED = ["employee_no", "name", "branch", "roles", "hire_date"]


class EmployeeCsvError(ValueError):
    pass


def load_employees(s: Session, path: Path) -> int:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise EmployeeCsvError(f"{path}: cannot read ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise EmployeeCsvError(f"{path}:1: missing column(s) {', '.join(missing)}")
    branches = {b.code: b for b in s.execute(select(Branch)).scalars()}
    teams = {t.code: t for t in s.execute(select(Team)).scalars()}
    valid_roles = {r.value for r in Role}
    errors: list[str] = []
    rows = []
    for line, row in enumerate(reader, start=2):

        def bad(col: str, why: str, row: dict = row, line: int = line) -> None:
            errors.append(f"{path}:{line}: column {col}={row.get(col)!r}: {why}")

        branch = branches.get((row.get("branch") or "").strip())
        if branch is None:
            bad("branch", "unknown branch code")
        team_code = (row.get("team") or "").strip()
        team = teams.get(team_code) if team_code else None
        if team_code and team is None:
            bad("team", "unknown team code")
        roles = [r.strip() for r in (row.get("roles") or "").split(";") if r.strip()]
        if not roles or not set(roles) <= valid_roles:
            bad("roles", f"use {';'.join(sorted(valid_roles))}")
        try:
            hired = date.fromisoformat((row.get("hire_date") or "").strip())
        except ValueError:
            bad("hire_date", "expected YYYY-MM-DD")
            hired = date.min
        status = (row.get("status") or "active").strip() or "active"
        if status not in {x.value for x in EmployeeStatus}:
            bad("status", "use active, on_leave or left")
        if not (row.get("employee_no") or "").strip() or not (row.get("name") or "").strip():
            bad("employee_no", "employee_no and name are required")
        rows.append((row, branch, team, roles, hired, status))
    if errors:
        raise EmployeeCsvError("\n".join(errors))
    for row, branch, team, roles, hired, status in rows:
        no = row["employee_no"].strip()
        emp = s.execute(select(Employee).where(Employee.employee_no == no)).scalar_one_or_none()
        if emp is None:
            emp = Employee(employee_no=no)
            s.add(emp)
        emp.name = row["name"].strip()
        emp.branch_id = branch.id  # type: ignore[union-attr]
        emp.team_id = team.id if team else None
        emp.hire_date = hired
        emp.status = status
        # Edit the role set in place: replacing the list would insert before deleting.
        for r in [r for r in emp.role_rows if r.role not in roles]:
            emp.role_rows.remove(r)
        have = {r.role for r in emp.role_rows}
        emp.role_rows.extend(EmployeeRole(role=r) for r in roles if r not in have)
    s.flush()
    return len(rows)
