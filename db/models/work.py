"""Work data from the collection system. Debtors appear only as keyed hashes (`debtor_key`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime

Money = Numeric(14, 2)


class CallOutcome(StrEnum):
    NO_ANSWER = "no_answer"
    CONTACTED = "contacted"  # someone answered, not necessarily the debtor
    RPC = "rpc"  # right-party contact: the debtor themself
    PROMISE = "promise"  # the call ended with a promise to pay


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"


class Severity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"


BUCKETS = ("M1", "M2", "M3", "M4", "M5", "M6+")


def bucket_for(days_overdue: int) -> str:
    """M1 = 1–30 days, M2 = 31–60 … M6+ = 151+ days."""
    if days_overdue <= 0:
        return "M1"
    return BUCKETS[min((days_overdue - 1) // 30, 5)]


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(64), unique=True)
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    debtor_key: Mapped[str] = mapped_column(String(64), index=True)
    amount_owed: Mapped[Decimal] = mapped_column(Money)
    days_overdue: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(4))
    product: Mapped[str] = mapped_column(String(64), default="")
    is_instalment: Mapped[bool] = mapped_column(Boolean, default=False)
    # Picked by the team lead for focused effort ("target cases" in the day plan).
    is_target: Mapped[bool] = mapped_column(Boolean, default=False)
    region: Mapped[str] = mapped_column(String(64), default="")
    assigned_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)

    collector = relationship("Employee")


class Call(Base):
    """One dialled call: the append-heavy fact table (a million rows per import).

    Its case and collector are checked per statement by triggers, not by foreign keys
    (db/models/call_refs.py: the same guarantee without a check per row). Indexes: only those
    a reader uses — a collector's calls in a period (plans, tips, the compliance checks), a
    case's calls (plans), every call in a period (scoring's edge hours), the natural key.
    """

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_collector_started", "collector_id", "started_at"),
        # Scoring reads the hours by which a branch's month differs from the UTC month.
        Index("ix_calls_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_ref: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)  # cases.id (call_refs.py)
    collector_id: Mapped[int] = mapped_column(Integer)  # employees.id (call_refs.py)
    debtor_key: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))


class PromiseToPay(Base):
    __tablename__ = "promises"
    __table_args__ = (UniqueConstraint("case_id", "promised_on", "due_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    collector_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    promised_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default=PromiseStatus.OPEN)


class Repayment(Base):
    __tablename__ = "repayments"
    __table_args__ = (Index("ix_repayments_collector_paid", "collector_id", "paid_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The collector credited with it (the case's collector when it was paid).
    collector_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    collector_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    category: Mapped[str] = mapped_column(String(64), default="")


class QaFinding(Base):
    """A compliance finding, from human QA (`source="qa"`) or derived from call logs (`auto`).

    `finding_key` is the natural key: the QA system's reference, or for automatic findings
    `auto:<rule>:<collector>:<debtor>:<local date>` so that re-imports never add a second one.
    """

    __tablename__ = "qa_findings"
    __table_args__ = (Index("ix_qa_findings_collector_found", "collector_id", "found_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_key: Mapped[str] = mapped_column(String(160), unique=True)
    collector_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(8), default="qa")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Leave(Base):
    __tablename__ = "leaves"
    __table_args__ = (UniqueConstraint("employee_id", "start_date", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="annual")
