"""The signal registry and its types: Person, Query, Hit, SignalOutput, `@signal`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Person:
    id: int
    employee_no: str
    name: str
    branch_id: int
    team_id: int | None
    hire_date: date
    left_on: date | None


@dataclass
class Query:
    s: Session
    as_of: date
    tz: ZoneInfo
    branch_id: int
    workdays: frozenset[int]
    people: dict[int, Person]
    params: dict[str, Any]
    # Replaying the past: signals without history (bot activity) report "no data".
    historical: bool = False

    @property
    def ids(self) -> list[int]:
        return list(self.people)

    def utc(self, d: date) -> datetime:
        """Start of branch-local day `d`, in UTC."""
        return datetime.combine(d, time(0), self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """End of the `as_of` day (exclusive), in UTC."""
        return self.utc(self.as_of + timedelta(days=1))

    def p(self, key: str, default: Any) -> Any:
        return self.params.get(key, default)


@dataclass(frozen=True)
class Hit:
    strength: float
    # Reason template suffix (hr.reason_<key>) and its parameters.
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class SignalOutput:
    hits: dict[int, Hit] = field(default_factory=dict)
    no_data: set[int] = field(default_factory=set)
    # Why the whole signal was skipped, e.g. "source not built yet".
    unavailable: str | None = None
    note: str = ""


SignalFn = Callable[[Query], SignalOutput]
SIGNALS: dict[str, SignalFn] = {}
# Suggested actions per reason key (hr.action_<name> templates).
ACTIONS: dict[str, tuple[str, ...]] = {}


def signal(name: str, *actions: str) -> Callable[[SignalFn], SignalFn]:
    def deco(fn: SignalFn) -> SignalFn:
        SIGNALS[name] = fn
        ACTIONS[name] = actions
        return fn

    return deco


def _month_start(d: date, back: int = 0) -> date:
    y, m = d.year, d.month - back
    while m <= 0:
        m += 12
        y -= 1
    return date(y, m, 1)


def _clip(x: float) -> float:
    return max(0.0, min(1.0, x))
