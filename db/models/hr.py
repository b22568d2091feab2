"""HR: daily attrition-risk scores (history), alert state per person, HR actions on alerts,
and exit records (resignations, with rehire history)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class RiskScore(Base):
    """One person's risk score on one branch-local day; kept as history."""

    __tablename__ = "hr_risk_scores"
    __table_args__ = (
        UniqueConstraint("employee_id", "day"),
        Index("ix_hr_risk_scores_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    score: Mapped[float] = mapped_column(Float)
    # "" (below watch) / watch / high / critical
    level: Mapped[str] = mapped_column(String(10), default="")
    # [{"signal": …, "key": …, "params": {…}, "points": …}], strongest first
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # {signal: strength 0..1} — the model's inputs, for backtests and fitting
    features: Mapped[dict[str, float]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RiskAlertState(Base):
    """What HR was last told about a person, and whether they asked for quiet."""

    __tablename__ = "hr_alert_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), unique=True
    )
    # Level in the last alert; None once the person dropped below every level.
    alerted_level: Mapped[str | None] = mapped_column(String(10))
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snooze_until: Mapped[date | None] = mapped_column(Date)
    snooze_level: Mapped[str | None] = mapped_column(String(10))
    # "Not a risk": quiet until the level rises above this one.
    dismissed_level: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RiskAction(Base):
    """A button pressed on an alert: contacted / snooze / not_risk, by whom, when."""

    __tablename__ = "hr_risk_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(10), default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExitRecord(Base):
    """A resignation: draft while HR fills it in the bot, then recorded; kept after rehire."""

    __tablename__ = "hr_exit_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    # draft / recorded / cancelled
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # Start of the employment stint this exit ends (the hire date at the time).
    stint_start: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    # personal / internal / external
    reason_category: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(500), default="")
    handover: Mapped[list[str]] = mapped_column(JSON, default=list)
    interview_notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # While drafting in the bot: the chat, and the field the next text message fills.
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    awaiting: Mapped[str | None] = mapped_column(String(16))
    rehired_on: Mapped[date | None] = mapped_column(Date)
