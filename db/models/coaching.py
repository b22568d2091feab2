"""Role-play drills (a simulated debtor, the collector's lines, the graded report) and the
daily cache of personal coaching tips.

Every stored line is redacted first (`coaching.redact`): a trainee who types a phone number
or an ID number into a drill never has it kept.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime


class DrillStatus:
    ACTIVE = "active"  # the collector is talking to the debtor
    GRADING = "grading"  # ended; the report is pending (a failed grading call can be retried)
    DONE = "done"


class Drill(Base):
    __tablename__ = "drills"
    __table_args__ = (Index("ix_drills_employee_status", "employee_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    scenario_id: Mapped[str] = mapped_column(String(64))
    competency: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default=DrillStatus.ACTIVE)
    # How it ended: success / hangup / turn_limit / ended (by /end)
    outcome: Mapped[str] = mapped_column(String(16), default="")
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    turn_limit: Mapped[int] = mapped_column(Integer, default=12)
    # Collector turns taken so far.
    turns_taken: Mapped[int] = mapped_column(Integer, default=0)
    # A collector line is waiting for the debtor's answer (the LLM call failed; retry).
    awaiting_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    # Rolling summary of the turns that fell out of the prompt window, and up to which seq.
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_upto: Mapped[int] = mapped_column(Integer, default=0)
    # The graded report: {criterion: {score, quote, better_line}}, plus how it was graded.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    graded_by: Mapped[str] = mapped_column(String(16), default="")  # llm / rules / rules_fallback
    total: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    failed_reason: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    turns = relationship("DrillTurn", order_by="DrillTurn.seq", cascade="all, delete-orphan")


class DrillTurn(Base):
    __tablename__ = "drill_turns"
    __table_args__ = (UniqueConstraint("drill_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    drill_id: Mapped[int] = mapped_column(ForeignKey("drills.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(16))  # collector / debtor
    text: Mapped[str] = mapped_column(Text)  # redacted
    # [{rule, severity, layer: "rules"|"llm", excerpt}]
    violations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CoachTip(Base):
    """Three tips per collector per local day, so /coach costs one LLM call a day."""

    __tablename__ = "coach_tips"
    __table_args__ = (UniqueConstraint("employee_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    day: Mapped[date] = mapped_column(Date)
    locale: Mapped[str] = mapped_column(String(8))
    tips: Mapped[list[str]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))  # llm / rules
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
