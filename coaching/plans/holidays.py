"""`coachbot holidays import FILE`: branch holidays and make-up working days from a CSV.

Columns: branch,date,name,is_workday (header required; is_workday is true/false/1/0/yes/no,
empty = false). Re-importing a file updates the rows it names; nothing is deleted.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Branch, Holiday

COLUMNS = ("branch", "date", "name", "is_workday")
TRUE = {"1", "true", "yes", "y", "t"}
FALSE = {"", "0", "false", "no", "n", "f"}


class HolidayCsvError(ValueError):
    pass


def import_holidays(s: Session, path: Path) -> tuple[int, int]:
    """Returns (added, updated). All or nothing: any bad line aborts the import."""
    branches = {b.code: b.id for b in s.execute(select(Branch)).scalars()}
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise HolidayCsvError(f"{path}: cannot read: {exc.strerror}") from None
    rows: dict[tuple[int, date], tuple[str, bool]] = {}
    with fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in COLUMNS[:2] if c not in header]
        if missing:
            raise HolidayCsvError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
        for raw in reader:
            line = reader.line_num
            r = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            code = r.get("branch", "")
            if code not in branches:
                raise HolidayCsvError(
                    f"{path}: line {line}, column branch: unknown branch {code!r}"
                )
            try:
                day = date.fromisoformat(r.get("date", ""))
            except ValueError:
                raise HolidayCsvError(
                    f"{path}: line {line}, column date: {r.get('date')!r} is not YYYY-MM-DD"
                ) from None
            flag = r.get("is_workday", "").lower()
            if flag not in TRUE | FALSE:
                raise HolidayCsvError(
                    f"{path}: line {line}, column is_workday: {flag!r} is not true/false"
                )
            key = (branches[code], day)
            if key in rows:
                raise HolidayCsvError(f"{path}: line {line}: {code} {day} listed twice")
            rows[key] = (r.get("name", "")[:100], flag in TRUE)
    added = updated = 0
    for (branch_id, day), (name, workday) in rows.items():
        row = s.execute(
            select(Holiday).where(Holiday.branch_id == branch_id, Holiday.day == day)
        ).scalar_one_or_none()
        if row is None:
            s.add(Holiday(branch_id=branch_id, day=day, name=name, is_workday=workday))
            added += 1
        elif (row.name, row.is_workday) != (name, workday):
            row.name, row.is_workday = name, workday
            updated += 1
    return added, updated
