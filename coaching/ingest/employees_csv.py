"""Employee files: what `coachbot employee import` adds to the one importer (db/importers).

Rows are read, validated and upserted by the ingest importer (kind `employees`, the same code
the HTTP ingest API and `coachbot import employees` use: CSV/XLSX/JSON, Chinese and English
headers, role and status names). This module only adds the full-import option: employees
that a complete staff list no longer names are marked as left (never deleted: their history
stays) when, and only when, `--mark-missing-left` is given.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.ingest import KINDS, InputError, Mapping, read_path
from coaching.ingest.reader import header_map
from db.models import Employee
from db.models.org import EmployeeStatus


def employee_numbers(path: Path, mapping: Mapping | None = None) -> set[str]:
    """Every employee number the file names (raises InputError when unreadable)."""
    table = read_path(path, mapping)
    cols = header_map(KINDS["employees"], table.headers, mapping)
    pos = next(i for i, c in cols.items() if c == "employee_no")
    nos = set()
    for _line, cells in table.rows:
        v = cells[pos] if pos < len(cells) else None
        if v is not None and str(v).strip():
            nos.add(str(v).strip())
    return nos


def missing_employees(s: Session, present: set[str]) -> list[Employee]:
    """Employees not in `present` who have not left yet."""
    rows = s.execute(
        select(Employee)
        .where(Employee.status != EmployeeStatus.LEFT)
        .order_by(Employee.employee_no)
    ).scalars()
    return [e for e in rows if e.employee_no not in present]


def mark_missing_left(
    s: Session, present: set[str], last_day: date, dry_run: bool = False
) -> list[tuple[str, str]]:
    """Mark every active employee the full list does not name as left on `last_day`."""
    gone = missing_employees(s, present)
    if not dry_run:
        for e in gone:
            e.status = EmployeeStatus.LEFT
            e.left_on = last_day
    return [(e.employee_no, e.name) for e in gone]


__all__ = ["InputError", "employee_numbers", "mark_missing_left", "missing_employees"]
