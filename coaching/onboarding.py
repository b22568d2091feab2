"""Bulk onboarding: invite codes for a team, a branch or everyone unbound, as a CSV of deep
links and a printable PDF sheet with one QR code per person (segno), so a team lead can
onboard a room of collectors in minutes.

Codes are created exactly like single invites (single use, only their hash is stored) and
within the caller's branch scope. The sheet and CSV hold the codes in clear: they are for
printing and handing out, and are written with owner-only permissions.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching import people
from db.models import Branch, Employee, Team, TelegramBinding
from db.models.org import EmployeeStatus


class OnboardingError(ValueError):
    pass


@dataclass(frozen=True)
class Selection:
    team: str | None = None
    branch: str | None = None
    all_unbound: bool = False

    def label(self) -> str:
        return self.team or self.branch or "all-unbound"


def select_unbound(s: Session, sel: Selection, scope: int | None) -> list[Employee]:
    """Active employees without a Telegram binding in the selection; refuses a team or branch
    outside `scope` (the caller's branch; None = every branch)."""
    if sum(bool(x) for x in (sel.team, sel.branch, sel.all_unbound)) != 1:
        raise OnboardingError("choose exactly one of --team, --branch, --all-unbound")
    q = (
        select(Employee)
        .outerjoin(TelegramBinding, TelegramBinding.employee_id == Employee.id)
        .where(TelegramBinding.id.is_(None), Employee.status != EmployeeStatus.LEFT)
        .order_by(Employee.employee_no)
    )
    if sel.team:
        team = s.execute(select(Team).where(Team.code == sel.team)).scalar_one_or_none()
        if team is None:
            raise OnboardingError(f"no team {sel.team}")
        if scope is not None and team.branch_id != scope:
            raise OnboardingError(f"team {sel.team} is in another branch than yours")
        q = q.where(Employee.team_id == team.id)
    elif sel.branch:
        b = s.execute(select(Branch).where(Branch.code == sel.branch)).scalar_one_or_none()
        if b is None:
            raise OnboardingError(f"no branch {sel.branch}")
        if scope is not None and b.id != scope:
            raise OnboardingError(f"branch {sel.branch} is not yours")
        q = q.where(Employee.branch_id == b.id)
    elif scope is not None:
        q = q.where(Employee.branch_id == scope)
    return list(s.execute(q).scalars())


def create_bulk(
    s: Session,
    sel: Selection,
    now: datetime,
    ttl_hours: int,
    by_id: int | None,
    scope: int | None,
) -> list[people.Invite]:
    invites = []
    for emp in select_unbound(s, sel, scope):
        inv = people.create_invite(s, emp.employee_no, now, ttl_hours, by_id, scope=scope)
        if isinstance(inv, people.Invite):
            invites.append(inv)
    return invites


def private_file(path: Path) -> None:
    os.chmod(path, 0o600)


def write_csv(invites: list[people.Invite], bot_username: str, path: Path) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["employee_no", "name", "code", "link", "expires_at_utc"])
        for inv in invites:
            w.writerow(
                [
                    inv.employee_no,
                    inv.name,
                    inv.code,
                    inv.link(bot_username),
                    f"{inv.expires_at:%Y-%m-%d %H:%M}",
                ]
            )
    private_file(path)
    return path
