"""Organisation: branches, teams, employees, roles, Telegram bindings, invites, group chats."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime


class Role(StrEnum):
    COLLECTOR = "collector"
    TEAM_LEAD = "team_lead"
    TRAINER = "trainer"
    HR = "hr"
    ADMIN = "admin"


class EmployeeStatus(StrEnum):
    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    LEFT = "left"


class ChatPurpose(StrEnum):
    HR_ALERTS = "hr_alerts"
    TRAINERS = "trainers"


class Branch(Base):
    __tablename__ = "branches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    # Which scoring profile (config/scoring.yaml) and compliance rule profile apply here.
    score_profile: Mapped[str] = mapped_column(String(32), default="A")
    rule_profile: Mapped[str] = mapped_column(String(32), default="default")
    # ISO weekdays (1 = Monday) that are working days, e.g. "1,2,3,4,5".
    workdays: Mapped[str] = mapped_column(String(20), default="1,2,3,4,5")
    # ISO 4217 code of the branch's money (amounts on cards and plans): CNY, IDR, …
    currency: Mapped[str] = mapped_column(String(3), default="CNY", server_default="CNY")
    # Set by the org file (`coachbot org apply`); NULL keeps the default (config/plans.yaml,
    # the rule profile). `plan_config`: {"send_at": "HH:MM", "recap_at": …, "blocks": [...]}.
    plan_config: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Compliance values over the rule profile: the legal call window (branch-local), the most
    # calls per debtor per local day, and what counts toward that maximum ("all" attempts or
    # "connected" only; calls shorter than `min_call_seconds` do not count).
    call_window_start: Mapped[time | None] = mapped_column(Time, nullable=True)
    call_window_end: Mapped[time | None] = mapped_column(Time, nullable=True)
    max_calls_per_debtor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    count_calls: Mapped[str | None] = mapped_column(String(16), nullable=True)
    min_call_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)

    teams: Mapped[list[Team]] = relationship(back_populates="branch")
    holidays: Mapped[list[Holiday]] = relationship(back_populates="branch")

    @property
    def workday_set(self) -> set[int]:
        return {int(x) for x in self.workdays.split(",") if x.strip()}


class Holiday(Base):
    """A non-working day for one branch; `is_workday` marks make-up working weekends."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("branch_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(100), default="")
    is_workday: Mapped[bool] = mapped_column(Boolean, default=False)

    branch: Mapped[Branch] = relationship(back_populates="holidays")


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", use_alter=True, ondelete="SET NULL")
    )

    branch: Mapped[Branch] = relationship(back_populates="teams")
    members: Mapped[list[Employee]] = relationship(
        back_populates="team", foreign_keys="Employee.team_id"
    )
    lead: Mapped[Employee | None] = relationship(foreign_keys=[lead_id], post_update=True)


class Employee(Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    hire_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=EmployeeStatus.ACTIVE)
    left_on: Mapped[date | None] = mapped_column(Date)
    # None means "use the branch's locale".
    locale: Mapped[str | None] = mapped_column(String(8))

    branch: Mapped[Branch] = relationship()
    team: Mapped[Team | None] = relationship(back_populates="members", foreign_keys=[team_id])
    role_rows: Mapped[list[EmployeeRole]] = relationship(
        back_populates="employee", cascade="all, delete-orphan", lazy="selectin"
    )
    binding: Mapped[TelegramBinding | None] = relationship(back_populates="employee", uselist=False)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def effective_locale(self) -> str:
        return self.locale or self.branch.locale


class EmployeeRole(Base):
    __tablename__ = "employee_roles"
    __table_args__ = (UniqueConstraint("employee_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))

    employee: Mapped[Employee] = relationship(back_populates="role_rows")


class TelegramBinding(Base):
    """The one Telegram account an employee uses; a new binding replaces the old one."""

    __tablename__ = "telegram_bindings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), unique=True
    )
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # False once Telegram answers 403 (the user blocked the bot).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    employee: Mapped[Employee] = relationship(back_populates="binding")


class InviteCode(Base):
    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    # SHA-256 of the code; the code itself is shown once and never stored.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id])


class GroupChat(Base):
    __tablename__ = "group_chats"
    __table_args__ = (UniqueConstraint("chat_id", "purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    # The branch whose alerts go here; None means every branch.
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    title: Mapped[str] = mapped_column(String(200), default="")
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)

    branch: Mapped[Branch | None] = relationship()
