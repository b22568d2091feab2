"""Month-to-date scorecards: the SQL aggregates (queries.py) scored by rules.py, then ranked,
averaged and compared with last month's snapshot. See docs/scoring.md for the model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import Any

from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo
from coaching.scoring.config import ScoringConfig
from coaching.scoring.money import r1, r4
from coaching.scoring.queries import (
    add_months,
    iter_rows,
    local_month,
    month_bounds,
    month_end,
    month_start,
    parse_month,
)
from coaching.scoring.rules import (
    HUNDRED,
    NA_REASONS,
    ZERO,
    Plan,
    band_score,
    planned_raw_values,
)

__all__ = [
    "Component",
    "Scorecard",
    "add_months",
    "compute_branch",
    "local_month",
    "month_bounds",
    "month_end",
    "month_start",
    "parse_month",
]

# Display places: scores and totals to 0.1, raw values (rates) to 0.0001 (money.r1 / r4).
_R1, _R4 = Decimal("0.1"), Decimal("0.0001")
# Differences smaller than this (points) show as "→" rather than an arrow.
ARROW_EPSILON = 0.5


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
    detail: dict[str, object] = field(default_factory=dict)
    na_reason: str | None = None  # why n/a (a NA_REASONS code)
    raw_exact: Decimal | None = None
    exact: Decimal | None = None

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


# --- normalising and totals ----------------------------------------------------------------


class _Scorer:
    """The profile's components resolved once per computation."""

    def __init__(
        self, cfg: ScoringConfig, branch: BranchInfo, month: date, as_of: date | None = None
    ) -> None:
        self.cfg, self.branch, self.month = cfg, branch, month
        # A month still running on `as_of`: recovery is held to the month's pace so far.
        last = month_end(month)
        self.pace = (as_of.day, last.day) if as_of is not None and month <= as_of < last else None
        self.weights = list(cfg.profile(branch.score_profile).weights.items())
        self.names = frozenset(n for n, _ in self.weights)
        self.veto = cfg.compliance.major_veto
        self.deduction = cfg.compliance.minor_deduction
        self.plan = Plan(cfg, branch.code)  # the config resolved once, not per collector
        # Each weight as shown (float) and back as the Decimal the shares are computed from.
        self.shown = {n: Decimal(str(float(w))) for n, w in self.weights}
        # (name, weight, as shown, back as a Decimal, its bit): the weight sum and effective
        # weights depend only on which components are available, computed once per set.
        self.parts = [
            (n, w, float(w), self.shown[n], 1 << i) for i, (n, w) in enumerate(self.weights)
        ]
        self._by_mask: dict[int, tuple[Decimal, tuple[tuple[str, float | None], ...]]] = {}
        self._memo: dict[tuple[str, Decimal], tuple] = {}  # type: ignore[type-arg]

    def _shares(self, mask: int) -> tuple[Decimal, tuple[tuple[str, float | None], ...]]:
        """(weight sum, (name, effective weight) of each part) for the parts in `mask`."""
        hit = self._by_mask.get(mask)
        if hit is None:
            on = [(n, w, shown) for n, w, _, shown, bit in self.parts if mask & bit]
            wsum = ZERO
            for _, w, _ in on:
                wsum += w  # in profile order, as the total's denominator always was
            shares = tuple((n, r1(HUNDRED * shown / wsum)) for n, _, shown in on)
            hit = self._by_mask[mask] = (wsum, shares)
        return hit

    def _scored(
        self, name: str, raw: Decimal, band: object, weight: Decimal, shown_w: Decimal
    ) -> tuple[Decimal, float | None, float | None, Decimal, Decimal]:
        """(exact score, shown raw, shown score, weight × exact, shown weight × (100 − exact))
        of a component with a fixed band (memoised by the caller on the raw value)."""
        if name == "compliance":
            exact = max(ZERO, HUNDRED - self.deduction * raw)
        else:
            exact = band_score(name, raw, band)  # type: ignore[arg-type]
        return (
            exact,
            float(raw.quantize(_R4, ROUND_HALF_UP)),
            float(exact.quantize(_R1, ROUND_HALF_UP)),
            weight * exact,
            shown_w * (HUNDRED - exact),
        )

    def card(
        self, row: dict[str, object], teams: dict[int, tuple[str, str]] | None = None
    ) -> Scorecard:
        """One collector's card from its statement row (queries.iter_rows), with last month's
        arrows; `teams` (id → code, name) for a row without its team's columns."""
        b = self.branch
        raws = planned_raw_values(row, self.pace, self.names, self.plan)
        mask = 0
        memo = self._memo
        comps: dict[str, Component] = {}
        acc = gap = ZERO
        improve: str | None = None
        # Components built positionally (name, weight, raw, score, effective_weight,
        # team_average, team_average_raw, previous, arrow, detail, na_reason, raw_exact, exact):
        # keyword arguments cost a third more, and this runs once per component per collector.
        for name, weight, wf, shown_w, bit in self.parts:
            raw, detail, band = raws[name]
            if raw is None:
                na = str(detail.get("na") or NA_REASONS[name])
                comps[name] = Component(
                    name, wf, None, None, None, None, None, None, None, detail, na
                )
                continue
            if name == "recovery":  # its band is the collector's own blend (band_score, inline)
                t, z = band.target, band.zero_at  # type: ignore[union-attr]
                exact = HUNDRED if raw >= t else ZERO if raw <= z else HUNDRED * (raw - z) / (t - z)
                shown = float(raw.quantize(_R4, ROUND_HALF_UP))
                score = float(exact.quantize(_R1, ROUND_HALF_UP))
                weighted, g = weight * exact, shown_w * (HUNDRED - exact)
            else:  # a fixed band: many collectors share a raw value (0 complaints, 1 finding)
                # (rules.Plan.cache hands over one Decimal per value: its hash is kept.)
                hit = memo.get((name, raw))
                if hit is None:
                    hit = memo[(name, raw)] = self._scored(name, raw, band, weight, shown_w)
                exact, shown, score, weighted, g = hit
            comps[name] = Component(
                name, wf, shown, score, None, None, None, None, None, detail, None, raw, exact
            )
            mask |= bit
            acc += weighted  # the total uses exact scores, rounded once at display
            # What to improve: the largest weighted gap to 100 (the first one on a tie).
            if g > gap:
                improve, gap = name, g
        total: Decimal | None = None
        if mask:
            wsum, shares = self._shares(mask)
            total = acc / wsum
            for name, share in shares:
                comps[name].effective_weight = share
        team_id = row["team_id"]
        if teams is None:
            tcode, tname = row["team_code"], row["team_name"]
        else:
            tcode, tname = teams.get(team_id, (None, None)) if team_id else (None, None)  # type: ignore[arg-type]
        card = Scorecard(
            row["eid"],  # type: ignore[arg-type]
            row["employee_no"],  # type: ignore[arg-type]
            row["name"],  # type: ignore[arg-type]
            b.id,
            b.code,
            team_id,  # type: ignore[arg-type]
            tcode,
            tname,
            b.score_profile,
            self.month,
            comps,
            None if total is None else float(total.quantize(_R1, ROUND_HALF_UP)),
            # vetoed, veto_reason, rank_team, rank_branch, team_size, branch_size,
            # team_average_total, previous_total, arrow (positional: see the components)
            False,
            "",
            None,
            None,
            0,
            0,
            None,
            None,
            None,
            improve,
            total,
            row["currency"] or "CNY",  # type: ignore[arg-type]
            bool(row["is_lead"]),
            bool(row["cases"]),
        )
        if row["majors"] and self.veto:
            card.vetoed = True
            card.total, card.total_exact = 0.0, Decimal(0)
            card.veto_reason = str(row.get("veto_reason") or "major violation")
            card.improve = "veto"
        # Last month's snapshot (its components are never NULL; an absent one leaves the
        # defaults, which is also what a snapshot without total or components gives).
        # (Indexing, not .get: the statement's rows have every column; once per collector.)
        prev_total, prev_comps = row["prev_total"], row["prev_components"]
        if prev_comps is not None or prev_total is not None:
            _arrows(card, prev_total, prev_comps)  # type: ignore[arg-type]
        return card


def score_row(
    cfg: ScoringConfig,
    branch: BranchInfo,
    month: date,
    row: dict[str, object],
    teams: dict[int, tuple[str, str]],
) -> Scorecard:
    return _Scorer(cfg, branch, month).card(row, teams)


def rankable(c: Scorecard) -> bool:
    """Scored, and not a team lead who carries no cases (leads rank only as collectors)."""
    return c.total is not None and not (c.is_lead and not c.carries_cases)


def competition_ranks(cards: Iterable[Scorecard]) -> dict[int, int]:
    """Employee id → rank; equal displayed totals share a rank, the next one skips (1, 1, 3)."""
    scored = sorted((c for c in cards if rankable(c)), key=lambda c: -(c.total or 0))
    ranks: dict[int, int] = {}
    prev: float | None = None
    rank = 0
    for i, c in enumerate(scored, 1):
        if c.total != prev:
            rank, prev = i, c.total
        ranks[c.employee_id] = rank
    return ranks


def _mean(xs: list[Decimal]) -> Decimal | None:
    return sum(xs, Decimal(0)) / len(xs) if xs else None


def _arrows(card: Scorecard, total: float | None, components: dict[str, Any] | None) -> None:
    """Last month's frozen total and scores on the card, and the arrows against them."""
    card.previous_total = r1(total)
    card.arrow = _arrow(card.total, card.previous_total)
    for name, comp in card.components.items():
        before = (components or {}).get(name, {}).get("score")
        comp.previous = before
        comp.arrow = _arrow(comp.score, before)


def _arrow(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    if now - before > ARROW_EPSILON:
        return "up"
    if before - now > ARROW_EPSILON:
        return "down"
    return "same"


def _rank_and_average(cards: list[Scorecard]) -> None:
    """Branch and team ranks (competition ranking of the displayed totals, as
    `competition_ranks`), ties, and each team's averages over its ranked members: one sort
    of the branch, then one pass (a team's members keep their order in the branch's)."""
    # `rankable`, inline (once per collector). A stable sort, best first: equal totals keep
    # the cards' order, as sorting on the negated total did.
    ranked = [c for c in cards if c.total is not None and not (c.is_lead and not c.carries_cases)]
    ranked.sort(key=attrgetter("total"), reverse=True)
    n = len(ranked)
    # Equal totals are adjacent in the sorted list, and a team's members keep that order: a
    # tie is a card with the same total as the one before it (in the branch, in its team).
    last: dict[int, Scorecard] = {}  # team -> its member ranked just before
    team_n: dict[int | None, int] = defaultdict(int)
    rank, prev, before = 0, None, None
    for i, c in enumerate(ranked, 1):
        total = c.total
        if total != prev:
            rank, prev = i, total
        else:
            before.tied_branch = c.tied_branch = True  # type: ignore[union-attr]
        c.rank_branch = rank
        before = c
        t = c.team_id
        if t is not None:
            k = team_n[t] = team_n[t] + 1
            p = last.get(t)
            if p is not None and p.total == total:
                c.rank_team = p.rank_team
                p.tied_team = c.tied_team = True
            else:
                c.rank_team = k
            last[t] = c
    # Averages over the members who are ranked (a lead without cases is not a peer), summed
    # in the members' order (Decimal sums round at 28 digits: the same order, the same sum).
    peers: dict[int, list[Scorecard]] = defaultdict(list)
    for c in cards:
        c.branch_size = n
        if c.team_id is not None:
            c.team_size = team_n[c.team_id]
            if c.rank_branch is not None:
                peers[c.team_id].append(c)
    names = list(cards[0].components) if cards else []
    averages: dict[int, tuple[float | None, list[tuple[float | None, float | None]]]] = {}
    for t, members in peers.items():
        comp_avgs = []
        for name in names:
            comps = [m.components[name] for m in members]
            comp_avgs.append(
                (
                    r1(_mean([x.exact for x in comps if x.exact is not None])),
                    r4(_mean([x.raw_exact for x in comps if x.raw_exact is not None])),
                )
            )
        totals = [m.total_exact for m in members if m.total_exact is not None]
        averages[t] = (r1(_mean(totals)), comp_avgs)
    empty = (None, [(None, None)] * len(names))
    for c in cards:
        if c.team_id is None:
            continue
        avg_total, comp_avgs = averages.get(c.team_id, empty)
        c.team_average_total = avg_total
        for comp, (avg, avg_raw) in zip(c.components.values(), comp_avgs, strict=True):
            comp.team_average, comp.team_average_raw = avg, avg_raw


def compute_branch(
    s: Session, cfg: ScoringConfig, branch: BranchInfo, month: date, as_of: date | None = None
) -> list[Scorecard]:
    """Every collector's scorecard of one branch for a month, with ranks, team averages and
    arrows against the previous month's frozen snapshot. Sorted by team, then rank.

    `as_of` (branch-local date) marks a live month: if it falls inside the month, recovery
    targets are paced to the days elapsed (see docs/scoring.md); None = a complete month."""
    scorer = _Scorer(cfg, branch, month, as_of)
    # Scored as the rows arrive (streamed on PostgreSQL). Each row carries what the card
    # shows besides the figures (team, currency, veto reason, last month's snapshot).
    cards = [scorer.card(r) for r in iter_rows(s, cfg, branch, month, plan=scorer.plan)]
    _rank_and_average(cards)
    cards.sort(key=lambda c: (c.team_code or "~", c.rank_team or 10**9, c.employee_no))
    return cards
