"""Who is talking to the bot: employees, their roles, Telegram bindings, invites, group chats."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from db.models import (
    AuditLog,
    Employee,
    GroupChat,
    InviteCode,
    TelegramBinding,
)
from db.models.org import EmployeeStatus


@dataclass(frozen=True)
class Caller:
    """A bound employee as handlers see them: plain values, safe outside a session."""

    employee_id: int
    employee_no: str
    name: str
    roles: frozenset[str]
    locale: str
    branch_id: int
    branch_code: str
    timezone: str
    team_id: int | None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def caller_from(emp: Employee) -> Caller:
    return Caller(
        employee_id=emp.id,
        employee_no=emp.employee_no,
        name=emp.name,
        roles=emp.roles,
        locale=emp.effective_locale,
        branch_id=emp.branch_id,
        branch_code=emp.branch.code,
        timezone=emp.branch.timezone,
        team_id=emp.team_id,
    )


def has_access(emp: Employee, today: date) -> bool:
    """Left employees lose access the day after their last day (or at once if no date)."""
    if emp.status != EmployeeStatus.LEFT:
        return True
    return emp.left_on is not None and today <= emp.left_on


def identify(s: Session, telegram_user_id: int, now: datetime) -> Caller | None:
    row = s.execute(
        select(Employee)
        .join(TelegramBinding, TelegramBinding.employee_id == Employee.id)
        .where(TelegramBinding.telegram_user_id == telegram_user_id)
    ).scalar_one_or_none()
    if row is None or not has_access(row, now.astimezone(ZoneInfo(row.branch.timezone)).date()):
        return None
    binding = row.binding
    # Last interaction feeds the disengagement signal; a minute's precision is plenty.
    if binding is not None and (
        binding.last_seen_at is None or now - binding.last_seen_at > timedelta(minutes=1)
    ):
        binding.last_seen_at = now
    return caller_from(row)


def employee_by_no(s: Session, employee_no: str) -> Employee | None:
    return s.execute(
        select(Employee).where(Employee.employee_no == employee_no.strip())
    ).scalar_one_or_none()


# --- invites -------------------------------------------------------------------------------


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


@dataclass(frozen=True)
class Invite:
    code: str
    employee_no: str
    name: str
    expires_at: datetime

    def link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username}?start={self.code}"


class InviteError(StrEnum):
    UNKNOWN_EMPLOYEE = "unknown_employee"
    EMPLOYEE_LEFT = "employee_left"
    OTHER_BRANCH = "other_branch"


def invite_scope(caller: Caller) -> int | None:
    """The branch whose employees a caller may invite; None means every branch (admins)."""
    return None if caller.has_role("admin") else caller.branch_id


ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def create_invite(
    s: Session,
    employee_no: str,
    now: datetime,
    ttl_hours: int,
    created_by_id: int | None,
    *,
    scope: int | None = None,
    chat_scope: int | None = None,
) -> Invite | InviteError:
    """A single-use code for the employee. `scope` is the caller's branch (None: any) and
    `chat_scope` the branch the HR chat serves (None: any): the employee must be in both."""
    emp = employee_by_no(s, employee_no)
    if emp is None:
        return InviteError.UNKNOWN_EMPLOYEE
    if any(b is not None and emp.branch_id != b for b in (scope, chat_scope)):
        return InviteError.OTHER_BRANCH
    if emp.status == EmployeeStatus.LEFT:
        return InviteError.EMPLOYEE_LEFT
    # 10 characters from an unambiguous alphabet: ~50 bits, typeable from a printout.
    code = "".join(secrets.choice(ALPHABET) for _ in range(10))
    expires = now + timedelta(hours=ttl_hours)
    s.add(
        InviteCode(
            employee_id=emp.id,
            code_hash=_hash_code(code),
            created_by_id=created_by_id,
            created_at=now,
            expires_at=expires,
        )
    )
    return Invite(code=code, employee_no=emp.employee_no, name=emp.name, expires_at=expires)


class RedeemResult(StrEnum):
    BOUND = "bound"
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    LEFT = "left"


def redeem_invite(
    s: Session, code: str, telegram_user_id: int, chat_id: int, now: datetime
) -> tuple[RedeemResult, Caller | None]:
    """Claim the code with one conditional UPDATE (unused, unexpired, employee not left):
    of concurrent redemptions exactly one gets the row; the others see it used."""
    h = _hash_code(code)
    claimed = s.execute(
        update(InviteCode)
        .where(
            InviteCode.code_hash == h,
            InviteCode.used_at.is_(None),
            InviteCode.expires_at > now,
            InviteCode.employee_id.in_(
                select(Employee.id).where(Employee.status != EmployeeStatus.LEFT)
            ),
        )
        .values(used_at=now)
        .returning(InviteCode.employee_id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if claimed is None:
        inv = s.execute(select(InviteCode).where(InviteCode.code_hash == h)).scalar_one_or_none()
        if inv is None:
            return RedeemResult.INVALID, None
        if inv.used_at is not None:
            return RedeemResult.USED, None
        if inv.expires_at <= now:
            return RedeemResult.EXPIRED, None
        return RedeemResult.LEFT, None
    emp = s.get(Employee, claimed)
    assert emp is not None
    bind(s, emp, telegram_user_id, chat_id, now)
    return RedeemResult.BOUND, caller_from(emp)


def bind(s: Session, emp: Employee, telegram_user_id: int, chat_id: int, now: datetime) -> None:
    """Bind a Telegram account; replaces the employee's old account and the account's old owner."""
    s.execute(
        delete(TelegramBinding).where(
            (TelegramBinding.employee_id == emp.id)
            | (TelegramBinding.telegram_user_id == telegram_user_id)
        )
    )
    s.flush()
    s.add(
        TelegramBinding(
            employee_id=emp.id,
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            bound_at=now,
            active=True,
        )
    )
    s.flush()
    s.expire(emp, ["binding"])


def reachable_chat(emp: Employee) -> int | None:
    """The private chat of the employee's Telegram binding, or None when unbound or the user
    blocked the bot: who can be messaged at all."""
    b = emp.binding
    return b.chat_id if b is not None and b.active else None


def set_locale(s: Session, employee_id: int, locale: str) -> None:
    emp = s.get(Employee, employee_id)
    if emp is not None:
        emp.locale = locale


def mark_left(s: Session, employee_no: str, last_day: date) -> Employee | None:
    emp = employee_by_no(s, employee_no)
    if emp is None:
        return None
    emp.status = EmployeeStatus.LEFT
    emp.left_on = last_day
    return emp


# --- group chats -----------------------------------------------------------------------------


def register_group(
    s: Session,
    chat_id: int,
    purpose: str,
    title: str,
    branch_code: str | None,
    by_id: int | None,
    now: datetime,
) -> GroupChat | None:
    """Register (or re-point) a group chat; None when refused (unknown branch, or the HR-only
    rule: see coaching/groups.py, which callers should use for the reason)."""
    from coaching.groups import register

    row = register(s, chat_id, purpose, title, branch_code, by_id, now)
    return row if isinstance(row, GroupChat) else None


def group_purposes(s: Session, chat_id: int) -> dict[str, int | None]:
    """Purposes a chat is registered for, mapped to the branch id it serves (None = all)."""
    rows = s.execute(
        select(GroupChat.purpose, GroupChat.branch_id).where(GroupChat.chat_id == chat_id)
    ).all()
    return {p: b for p, b in rows}


def group_chats_for(s: Session, purpose: str, branch_id: int | None) -> list[int]:
    """Chats of a purpose that serve a branch: those for that branch, else the all-branch ones."""
    rows = s.execute(
        select(GroupChat.chat_id, GroupChat.branch_id).where(GroupChat.purpose == purpose)
    ).all()
    if purpose == "hr_alerts":
        # HR alerts name staff: never to a chat that also serves another purpose (a trainers'
        # chat), even if older rows registered it twice (coaching/groups.py forbids it now).
        shared = set(
            s.execute(
                select(GroupChat.chat_id).where(
                    GroupChat.purpose != purpose, GroupChat.chat_id.in_([c for c, _ in rows])
                )
            ).scalars()
        )
        rows = [(c, b) for c, b in rows if c not in shared]
    own = [c for c, b in rows if b is not None and b == branch_id]
    return own or [c for c, b in rows if b is None]


# --- audit -----------------------------------------------------------------------------------


def audit(
    s: Session,
    now: datetime,
    action: str,
    outcome: str,
    *,
    employee_id: int | None = None,
    telegram_user_id: int | None = None,
    chat_id: int | None = None,
    detail: str = "",
) -> None:
    s.add(
        AuditLog(
            at=now,
            employee_id=employee_id,
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            action=action[:64],
            outcome=outcome,
            detail=detail[:500],
        )
    )
