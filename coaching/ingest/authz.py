"""What a non-admin writer (an ingest-API token) may change, and the audit of what it changed.

Roles are privileges: an ingest token may create collectors and update employees' other
columns, but a row that would grant or take away any other role is rejected (per row, naming
the `roles` column). Roles, bindings, invites and groups stay with the admin tools.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.ingest.kinds import Kind, Problem
from db.models import Employee

ROLES_INDEX = 4  # position of the roles tuple in the employees kind's db_columns
NEW_EMPLOYEE_ROLES = ("collector",)
ADMIN_HINT = "roles are changed by an admin (coachbot import employees on the server), not a token"


def role_guard(s: Session, kind: Kind) -> Callable[[tuple[Any, ...]], None]:
    """A check raising Problem('roles', …) when a row would change an employee's roles."""
    if kind.name != "employees":
        return lambda values: None
    current: dict[str, tuple[str, ...]] = {}
    for emp in s.execute(select(Employee)).scalars():
        current[emp.employee_no] = tuple(sorted(emp.roles))

    def check(values: tuple[Any, ...]) -> None:
        no, roles = values[0], tuple(values[ROLES_INDEX])
        have = current.get(no)
        if have is None:
            if roles != NEW_EMPLOYEE_ROLES:
                raise Problem("roles", f"a new employee from a token is a collector; {ADMIN_HINT}")
        elif roles != have:
            change = f"{';'.join(have)} → {';'.join(roles)}"
            raise Problem("roles", f"would change roles {change}; {ADMIN_HINT}")

    return check
