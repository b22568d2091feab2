"""Registered group chats and the rule that keeps HR alerts private.

An HR alerts chat names staff at risk of leaving, so it holds that one purpose only: a chat
registered as `hr_alerts` cannot also be a trainers' chat (or anything else), and the other
way round. Registering one is confirmed by an admin after seeing which bound employees in the
chat are not HR (`non_hr_members`). `people.group_chats_for` additionally never routes HR
alerts to a chat that holds another purpose, whatever older rows say.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import Branch, Employee, GroupChat, TelegramBinding
from db.models.org import ChatPurpose, EmployeeStatus

EXCLUSIVE = ChatPurpose.HR_ALERTS.value
PURPOSES = tuple(p.value for p in ChatPurpose)


class GroupError(StrEnum):
    UNKNOWN_PURPOSE = "unknown_purpose"
    UNKNOWN_BRANCH = "unknown_branch"
    HR_EXCLUSIVE = "hr_exclusive"  # hr_alerts next to another purpose


@dataclass(frozen=True)
class GroupRow:
    chat_id: int
    purpose: str
    branch: str | None
    title: str
    registered_at: datetime


def conflicts(s: Session, chat_id: int, purpose: str) -> list[str]:
    """Purposes already held by the chat that may not sit next to `purpose`."""
    have = set(s.execute(select(GroupChat.purpose).where(GroupChat.chat_id == chat_id)).scalars())
    have.discard(purpose)
    if purpose == EXCLUSIVE:
        return sorted(have)
    return [EXCLUSIVE] if EXCLUSIVE in have else []


def branch_exists(s: Session, code: str) -> bool:
    return s.execute(select(Branch.id).where(Branch.code == code)).first() is not None


def register(
    s: Session,
    chat_id: int,
    purpose: str,
    title: str,
    branch_code: str | None,
    by_id: int | None,
    now: datetime,
) -> GroupChat | GroupError:
    """Register (or re-point) a chat for a purpose, enforcing the HR-only rule."""
    if purpose not in PURPOSES:
        return GroupError.UNKNOWN_PURPOSE
    branch_id = None
    if branch_code:
        branch_id = s.execute(
            select(Branch.id).where(Branch.code == branch_code)
        ).scalar_one_or_none()
        if branch_id is None:
            return GroupError.UNKNOWN_BRANCH
    if conflicts(s, chat_id, purpose):
        return GroupError.HR_EXCLUSIVE
    row = s.execute(
        select(GroupChat).where(GroupChat.chat_id == chat_id, GroupChat.purpose == purpose)
    ).scalar_one_or_none()
    if row is None:
        row = GroupChat(chat_id=chat_id, purpose=purpose, registered_at=now)
        s.add(row)
    row.branch_id = branch_id
    row.title = (title or row.title or "")[:200]
    row.registered_by_id = by_id
    row.registered_at = now
    s.flush()
    return row


def unregister(s: Session, chat_id: int, purpose: str | None = None) -> list[str]:
    """Remove the chat's registration for `purpose` (or every purpose); returns what went."""
    q = select(GroupChat.purpose).where(GroupChat.chat_id == chat_id)
    if purpose:
        q = q.where(GroupChat.purpose == purpose)
    gone = sorted(s.execute(q).scalars())
    if gone:
        s.execute(
            delete(GroupChat).where(GroupChat.chat_id == chat_id, GroupChat.purpose.in_(gone))
        )
    return gone


def list_groups(s: Session) -> list[GroupRow]:
    rows = s.execute(
        select(GroupChat, Branch.code)
        .outerjoin(Branch, Branch.id == GroupChat.branch_id)
        .order_by(GroupChat.purpose, GroupChat.chat_id)
    ).all()
    return [GroupRow(g.chat_id, g.purpose, code, g.title, g.registered_at) for g, code in rows]


@dataclass(frozen=True)
class Member:
    employee_no: str
    name: str
    roles: str
    telegram_user_id: int


def non_hr_bound(s: Session) -> list[Member]:
    """Bound, active employees who are neither HR nor admin: who must not sit in an HR chat."""
    rows = s.execute(
        select(Employee, TelegramBinding.telegram_user_id)
        .join(TelegramBinding, TelegramBinding.employee_id == Employee.id)
        .where(Employee.status != EmployeeStatus.LEFT)
        .order_by(Employee.employee_no)
    ).all()
    return [
        Member(e.employee_no, e.name, ",".join(sorted(e.roles)), uid)
        for e, uid in rows
        if not e.has_role("hr", "admin")
    ]


IN_CHAT = {"creator", "administrator", "member", "restricted"}


async def non_hr_members(
    candidates: list[Member], status_of: Callable[[int], Awaitable[str]]
) -> tuple[list[Member], list[Member]]:
    """Which candidates are in the chat, asking Telegram (getChatMember) one by one.
    Returns (in the chat, could not be checked)."""
    present: list[Member] = []
    unknown: list[Member] = []
    sem = asyncio.Semaphore(8)  # a few at a time: Telegram rate-limits bursts

    async def one(m: Member) -> None:
        async with sem:
            try:
                status = await status_of(m.telegram_user_id)
            except Exception:  # an unreachable chat or user: report it, do not guess
                unknown.append(m)
                return
        if status in IN_CHAT:
            present.append(m)

    await asyncio.gather(*(one(m) for m in candidates))
    key = lambda m: m.employee_no  # noqa: E731
    return sorted(present, key=key), sorted(unknown, key=key)
