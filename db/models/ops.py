"""Operational tables: audit log, API tokens, the outbox, scheduled job runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    # allowed / denied / error
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(500), default="")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Record kinds this token may write, comma-separated; NULL (tokens made before scoping)
    # means every kind. No token can change roles, bindings, invites or groups whatever this says.
    kinds: Mapped[str | None] = mapped_column(String(300))


class Outbox(Base):
    """One row per message to deliver. `dedupe_key` makes a (recipient, kind, day) send unique,
    so restarts and a second bot process can never deliver the same plan twice."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    local_date: Mapped[date | None] = mapped_column(Date)
    # {"text": ..., "reply_markup": {...}, "photo": "path"}; rendered before enqueueing.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending / sending / sent / failed (gave up) / skipped
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A `sending` row whose lease ran out belongs to a crashed worker and may be retried.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The sender process holding a `sending` row (its `outbox:<owner>` lease): when that lease
    # is gone, any other sender hands the row back at once instead of after `lease_until`.
    claimed_by: Mapped[str | None] = mapped_column(String(100))


class JobRun(Base):
    """A claimed run of a scheduled job for one branch and local date (idempotent jobs)."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(200), unique=True)
    job: Mapped[str] = mapped_column(String(64))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    local_date: Mapped[date | None] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(String(500), default="")


class DashboardSnapshot(Base):
    """One part of a branch's dashboard data (a team's scoreboard, the branch comparison,
    training, HR risk…), precomputed by the `dashboard_precompute` job so a page never waits
    on a cold computation. `branch_id` NULL: a part over every branch (an admin's "all").
    `stale`: data changed since (an import); the page says so until the job refreshes it."""

    __tablename__ = "dashboard_snapshots"
    __table_args__ = (UniqueConstraint("branch_id", "part"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    part: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What the data was computed from (local date and the inputs' newest row ids).
    stamp: Mapped[str] = mapped_column(String(300), default="")
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[Any] = mapped_column(JSON)


class JobChunk(Base):
    """One slice of a fan-out job run (a range of employee ids), built and queued by whichever
    bot process claims it, so several processes share one morning fan-out. `lease_until` is
    the claimer's short lease: a chunk whose claimer died is claimed again once it runs out.
    The outbox's `dedupe_key` keeps a chunk built twice from sending anything twice."""

    __tablename__ = "job_chunks"
    __table_args__ = (
        UniqueConstraint("run_key", "seq"),
        Index("ix_job_chunks_open", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(200))
    job: Mapped[str] = mapped_column(String(64))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    # The job's `now`: every chunk of a run is built as of the same moment.
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    seq: Mapped[int] = mapped_column(Integer)
    # Employee ids lo..hi inclusive; None = unbounded (the first and last chunk of a run).
    lo: Mapped[int | None] = mapped_column(Integer)
    hi: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)  # recipients when the run was split
    status: Mapped[str] = mapped_column(String(8), default="open")  # open / done
    owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Lease(Base):
    """A named, expiring lock shared by every bot process on one database: the scheduler's
    leader (`scheduler`) and short per-person locks (e.g. a role-play turn). Whoever holds an
    unexpired row owns it; an expired row may be taken by anyone (see `db/leases.py`)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TelegramUpdate(Base):
    """Webhook `update_id`s already taken in (a short window): Telegram re-posts an update
    whose answer it did not see, and any worker behind the URL may get the repeat."""

    __tablename__ = "telegram_updates"
    __table_args__ = (Index("ix_telegram_updates_received_at", "received_at"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
