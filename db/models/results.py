"""Shared results that several features write and read.

- `AssessmentResult`: every graded quiz attempt and role-play drill (training and coaching
  write; scoring's skills component, learning paths and HR risk read).
- `ScoreSnapshot`: a collector's frozen monthly scorecard (scoring writes on the 1st; trends,
  promotions and HR risk read).
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

COMPETENCIES = ("compliance", "communication", "resilience", "data_handling", "classification")


class AssessmentResult(Base):
    __tablename__ = "assessment_results"
    __table_args__ = (
        UniqueConstraint("source", "ref"),
        Index("ix_assessment_results_employee_at", "employee_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    # "quiz" or "drill"
    source: Mapped[str] = mapped_column(String(16))
    # The attempt's own id in its feature's tables, e.g. "attempt:42" or "drill:7".
    ref: Mapped[str] = mapped_column(String(64))
    # One of COMPETENCIES, or "" when the item spans several.
    competency: Mapped[str] = mapped_column(String(32), default="")
    score: Mapped[float] = mapped_column(Float)  # 0–100
    passed: Mapped[bool] = mapped_column(Boolean)
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScoreSnapshot(Base):
    __tablename__ = "score_snapshots"
    __table_args__ = (UniqueConstraint("employee_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    profile: Mapped[str] = mapped_column(String(32))
    total: Mapped[float | None] = mapped_column(Float)  # None when nothing could be scored
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    veto_reason: Mapped[str] = mapped_column(String(200), default="")
    rank_team: Mapped[int | None] = mapped_column(Integer)
    rank_branch: Mapped[int | None] = mapped_column(Integer)
    # {component: {"raw": …, "score": …, "weight": …}}
    components: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
