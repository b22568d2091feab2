"""The one convention `bench/run_all.py` (`make bench`) relies on.

A bench module `bench/<name>.py` takes part when it defines

    def figures(quick: bool) -> list[Figure]: ...

`quick=True` (the default of `make bench`) must finish within a few minutes on a 2-core machine;
`quick=False` runs the sizes the issue's targets are stated for. Each Figure carries its value,
the baseline measured in the same run (a bare COPY, a hand-written query, a raw Bot API sink…;
None when there is nothing to compare against), and the target as a predicate, so the table
shows value, baseline, ratio, target and pass/fail for every bench in one place.

Databases: a bench that can use PostgreSQL reads `bench_database_url()` (the URL of
COACHBOT_BENCH_DATABASE_URL, a scratch database the bench may wipe) and falls back to a
temporary SQLite file when it is not set.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Figure:
    name: str  # what is measured, e.g. "fan-out, unthrottled, 1 core"
    value: float
    unit: str  # "plans/s", "ms", "MB", "×"…
    target: str  # human form, e.g. ">= 300"
    ok: bool | None  # the target met; None when the figure has no target
    baseline: float | None = None
    baseline_name: str = ""  # e.g. "raw sendMessage loop to the same sink"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def at_least(name: str, value: float, unit: str, target: float, **kw: Any) -> Figure:
    return Figure(name, value, unit, f">= {target:g}", value >= target, **kw)


def at_most(name: str, value: float, unit: str, target: float, **kw: Any) -> Figure:
    return Figure(name, value, unit, f"<= {target:g}", value <= target, **kw)


def within(name: str, value: float, unit: str, baseline: float, factor: float, **kw: Any) -> Figure:
    """A target relative to the baseline measured in the same run: PASS when value / baseline
    <= factor (the table's ratio column shows value / baseline)."""
    return Figure(
        name,
        value,
        unit,
        f"<= {factor:g}x baseline",
        value <= factor * baseline,
        baseline=baseline,
        **kw,
    )


def info(name: str, value: float, unit: str, **kw: Any) -> Figure:
    return Figure(name, value, unit, "-", None, **kw)


def bench_database_url() -> str | None:
    """A scratch database URL for benches (wiped by them), or None for SQLite."""
    return os.environ.get("COACHBOT_BENCH_DATABASE_URL") or None
