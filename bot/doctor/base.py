"""A doctor check's result and the report; a check that raises becomes a failed check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

DEMO_PII_KEY = "coachbot-demo-key-change-me"
BACKLOG_WARN = 200
STALE_DUE = timedelta(minutes=15)


@dataclass
class Check:
    name: str
    status: str  # ok / warn / fail / skip
    detail: str
    fix: str = ""
    more: list[str] = field(default_factory=list)  # extra lines (e.g. the next job runs)


@dataclass
class Report:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)


def _safe(name: str, fn: Callable[[], list[Check]]) -> list[Check]:
    """A check that raised is a failed check, not a crashed doctor."""
    try:
        return fn()
    except Exception as exc:
        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return [Check(name, "fail", f"{type(exc).__name__}: {msg}", "see the message above")]
