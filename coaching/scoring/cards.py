"""The scorecard's data: `Scorecard` and its `Component`s, and last month's arrows.

Split from engine.py (which computes them): what a card holds, and the one thing about it
that is computed on demand — a component's `detail`, the counts behind its raw value, which
only a card's text and the dashboard read (see `Component.detail`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from coaching.scoring.money import r1

# Differences smaller than this (points) show as "→" rather than an arrow.
ARROW_EPSILON = 0.5

# What a card's components share until read (engine._Scorer.card): [build, row, details,
# team]. `build(row)` gives every component's detail (name → dict), kept at [2] once built;
# [3] is the card's team's averages (ranking.TeamAverages), computed on first read.
Pending = list[object]
# A team average not given: the card's team's (see Pending), or None.
UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET", "__slots__": ()})()


def _team(d: object) -> Any:
    return d[3] if d.__class__ is list else None  # type: ignore[index]


@dataclass(slots=True)
class Component:
    """Display values (`raw`, `score`, averages) are rounded once, ROUND_HALF_UP, from the
    exact `Decimal`s kept alongside (`raw_exact`, `exact`)."""

    name: str
    weight: float  # as configured in the profile
    raw: float | None = None  # None = n/a
    score: float | None = None  # 0–100, None = n/a
    effective_weight: float | None = None  # share of the total after redistribution, in %
    # The team's averages (of the score, of the raw value): see `team_average`.
    _team_average: float | None = field(default=UNSET, repr=False)
    _team_average_raw: float | None = field(default=UNSET, repr=False)
    previous: float | None = None  # last month's frozen score
    arrow: str | None = None  # "up" / "down" / "same" / None (no history)
    # The detail dict (see `detail`), or the card's `Pending`, or None.
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
        if d[2] is None:  # type: ignore[index]
            d[2] = d[0](d[1])  # type: ignore[index, operator]
        return d[2][self.name]  # type: ignore[index, no-any-return]

    @detail.setter
    def detail(self, value: dict[str, object]) -> None:
        self._detail = value

    @property
    def team_average(self) -> float | None:
        """The mean of the team's ranked members' exact scores (display value), computed for
        the whole team when first read (ranking.TeamAverages); None without a team."""
        return self._average(self._team_average, 0)

    @team_average.setter
    def team_average(self, value: float | None) -> None:
        self._team_average = value

    @property
    def team_average_raw(self) -> float | None:
        return self._average(self._team_average_raw, 1)

    @team_average_raw.setter
    def team_average_raw(self, value: float | None) -> None:
        self._team_average_raw = value

    def _average(self, given: float | None, i: int) -> float | None:
        """`given` if set, else the card's team's average (i: 0 of the score, 1 of the raw)."""
        if given is not UNSET:
            return given
        team = _team(self._detail)
        return None if team is None else team.component(self.name)[i]  # type: ignore[no-any-return]

    @property
    def available(self) -> bool:
        return self.score is not None

    # Pickled (charts are drawn in another process) as plain values: the detail and the
    # averages resolved, nothing of the computation (scorer, row, team) carried along.
    def __getstate__(self) -> list[object]:
        return [
            getattr(self, f.name.lstrip("_"))
            for f in fields(self)  # type: ignore[arg-type]
        ]

    def __setstate__(self, state: list[object]) -> None:
        for f, value in zip(fields(self), state, strict=True):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, value)


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
    # The mean of the team's ranked members' exact totals: see `team_average_total`.
    _team_average_total: float | None = field(default=UNSET, repr=False)
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
    def team_average_total(self) -> float | None:
        """Display value; computed for the whole team when first read, as the components'
        averages (Component.team_average); None without a team."""
        v = self._team_average_total
        if v is not UNSET:
            return v
        for comp in self.components.values():  # they share the card's Pending
            team = _team(comp._detail)
            return None if team is None else team.total()  # type: ignore[no-any-return]
        return None

    @team_average_total.setter
    def team_average_total(self, value: float | None) -> None:
        self._team_average_total = value

    @property
    def ranked(self) -> bool:
        return self.rank_branch is not None

    @property
    def has_data(self) -> bool:
        return self.total is not None

    def __getstate__(self) -> list[object]:  # see Component's
        return [
            getattr(self, f.name.lstrip("_"))
            for f in fields(self)  # type: ignore[arg-type]
        ]

    def __setstate__(self, state: list[object]) -> None:
        for f, value in zip(fields(self), state, strict=True):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, value)


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
