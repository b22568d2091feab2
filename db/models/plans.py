"""Per-person switches for the optional plan messages (block nudges, evening recap)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class NotificationPref(Base):
    """One row per employee who changed a switch; no row means the defaults (all off)."""

    __tablename__ = "notification_prefs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), unique=True
    )
    block_nudges: Mapped[bool] = mapped_column(Boolean, default=False)
    evening_recap: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
