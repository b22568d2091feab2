"""The scorecard's data: `Scorecard` and its `Component`s, and last month's arrows.

Split from engine.py (which computes them): what a card holds, and the one thing about it
that is computed on demand — a component's `detail`, the counts behind its raw value, which
only a card's text and the dashboard read (see `Component.detail`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from coaching.scoring.money import r1

# Differences smaller than this (points) show as "→" rather than an arrow.
ARROW_EPSILON = 0.5

# A card's details not built yet: [build, row], one list shared by its components;
# `build(row)` gives every component's detail (name → dict), appended to the list once built.
Pending = list[object]


@dataclass(slots=True)
class Component:
    """Display values (`raw`, `score`, averages) are rounded once, ROUND_HALF_UP, from the
    exact `Decimal`s kept alongside (`raw_exact`, `exact`)."""

    name: str
    weight: float  # as configured in the profile
    raw: float | None = None  # None = n/a
    score: float | None = None  # 0–100, None = n/a
    effective_weight: float | None = None  # share of the total after redistribution, in %
    team_average: float | None = None  # of the score
    team_average_raw: float | None = None
    previous: float | None = None  # last month's frozen score
    arrow: str | None = None  # "up" / "down" / "same" / None (no history)
    # The detail dict (see `detail`), or the card's pending details (`Pending`), or None.
    _detail: dict[str, object] | Pending | None = field(default=None, repr=False)
    na_reason: str | None = None  # why n/a (a NA_REASONS code)
    raw_exact: Decimal | None = None
    exact: Decimal | None = None

    @property
    def detail(self) -> dict[str, object]:
        """The counts behind the raw value (rules.raw_values' detail). Built on first read,
        for all of the card's components at once: most cards are only ranked and averaged,
        and building these dicts was a fifth of the Python time of a branch's cards."""
        d = self._detail
        if d.__class__ is dict:
            return d  # type: ignore[return-value]
        if d is None:
            d = self._detail = {}
            return d
        if len(d) == 2:  # type: ignore[arg-type]
            build: Callable[[object], dict[str, dict[str, object]]] = d[0]  # type: ignore[index]
            d.append(build(d[1]))  # type: ignore[union-attr, index]
        out = self._detail = d[2][self.name]  # type: ignore[index]
        return out

    @detail.setter
    def detail(self, value: dict[str, object]) -> None:
        self._detail = value

    @property
    def available(self) -> bool:
        return self.score is not None


@dataclass(slots=True)
class Scorecard:
    employee_id: int
    employee_no: str
    name: str
    branch_id: int
    branch_code: str
    team_id: int | None
    team_code: str | None
    team_name: str | None
    profile: str
    month: date
    components: dict[str, Component]
    total: float | None = None  # display value (one decimal, half-up); None = nothing scored
    vetoed: bool = False
    veto_reason: str = ""
    rank_team: int | None = None
    rank_branch: int | None = None
    team_size: int = 0  # ranked members (the rank's denominator)
    branch_size: int = 0
    team_average_total: float | None = None  # mean of the ranked members' exact totals
    previous_total: float | None = None
    arrow: str | None = None
    improve: str | None = None  # a component name, "veto", or None when nothing to improve
    total_exact: Decimal | None = None
    currency: str = "CNY"
    is_lead: bool = False  # holds the team_lead role
    carries_cases: bool = True  # had assigned cases in the month
    tied_team: bool = False  # shares its team rank with someone else
    tied_branch: bool = False

    @property
    def ranked(self) -> bool:
        return self.rank_branch is not None

    @property
    def has_data(self) -> bool:
        return self.total is not None


def arrows(card: Scorecard, total: float | None, components: dict[str, Any] | None) -> None:
    """Last month's frozen total and scores on the card, and the arrows against them."""
    card.previous_total = r1(total)
    card.arrow = arrow(card.total, card.previous_total)
    for name, comp in card.components.items():
        before = (components or {}).get(name, {}).get("score")
        comp.previous = before
        comp.arrow = arrow(comp.score, before)


def arrow(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    if now - before > ARROW_EPSILON:
        return "up"
    if before - now > ARROW_EPSILON:
        return "down"
    return "same"
