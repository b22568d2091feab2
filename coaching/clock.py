"""An injectable clock so tests can move time instead of sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedClock:
    """Real time moved to start at `at`: the console's `--at`, to try Monday's plan on a
    Sunday. Time keeps running, so timeouts and jobs behave as they would then."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        self._offset = at - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


class AnchoredClock:
    """Real time, read as if it was `at` at the real moment `epoch` (Unix seconds; default:
    now). Several processes given the same pair read the same time: the process tests start
    `coachbot run` minutes before a job is due, and workers agree on leases."""

    def __init__(self, at: datetime, epoch: float | None = None) -> None:
        if at.tzinfo is None:
            raise ValueError("AnchoredClock needs an aware datetime")
        base = datetime.now(UTC) if epoch is None else datetime.fromtimestamp(epoch, UTC)
        self._offset = at - base

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def local_now(clock: Clock, tz: str) -> datetime:
    return clock.now().astimezone(ZoneInfo(tz))


def local_today(clock: Clock, tz: str) -> date:
    return local_now(clock, tz).date()


def to_utc(local: datetime, tz: str) -> datetime:
    """Interpret a naive local datetime in `tz` and return it in UTC."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)
