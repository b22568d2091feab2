"""Month-to-date scorecards: the SQL aggregates (queries.py) scored by rules.py, then ranked,
averaged and compared with last month's snapshot. See docs/scoring.md for the model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import select
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
    veto_reasons,
)
from coaching.scoring.rules import HUNDRED, NA_REASONS, ZERO, Plan, band_score, raw_values
from db.models import Branch, Employee, ScoreSnapshot, Team

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
        self.parts = [(n, w, float(w)) for n, w in self.weights]
        # Effective weights depend only on which components are available: once per set.
        self._shares: dict[Decimal, dict[str, float | None]] = {}
        self._memo: dict[tuple[str, Decimal], tuple[Decimal, float | None, float | None]] = {}

    def _scored(
        self, name: str, raw: Decimal, band: object
    ) -> tuple[Decimal, float | None, float | None]:
        """(exact score, shown raw, shown score) of a component with a fixed band, memoised
        on the raw value for this computation."""
        key = (name, raw)
        hit = self._memo.get(key)
        if hit is None:
            if name == "compliance":
                exact = max(ZERO, HUNDRED - self.deduction * raw)
            else:
                exact = band_score(name, raw, band)  # type: ignore[arg-type]
            hit = self._memo[key] = (
                exact,
                float(raw.quantize(_R4, ROUND_HALF_UP)),
                float(exact.quantize(_R1, ROUND_HALF_UP)),
            )
        return hit

    def _effective(self, wsum: Decimal) -> dict[str, float | None]:
        shares = self._shares.get(wsum)
        if shares is None:
            shares = self._shares[wsum] = {
                n: r1(HUNDRED * self.shown[n] / wsum) for n, _ in self.weights
            }
        return shares

    def card(self, row: dict[str, object], teams: dict[int, tuple[str, str]]) -> Scorecard:
        b = self.branch
        raws = raw_values(self.cfg, b.code, row, self.pace, self.names, self.plan)
        comps: dict[str, Component] = {}
        wsum = acc = ZERO
        for name, weight, wf in self.parts:
            raw, detail, band = raws[name]
            if raw is None:
                na = str(detail.get("na") or NA_REASONS[name])
                comps[name] = Component(name, wf, None, None, detail=detail, na_reason=na)
                continue
            if name == "recovery":  # its band is the collector's own blend
                exact = band_score(name, raw, band)  # type: ignore[arg-type]
                shown = float(raw.quantize(_R4, ROUND_HALF_UP))
                score = float(exact.quantize(_R1, ROUND_HALF_UP))
            else:  # a fixed band: many collectors share a raw value (0 complaints, 1 finding)
                exact, shown, score = self._scored(name, raw, band)
            comps[name] = Component(
                name, wf, shown, score, detail=detail, raw_exact=raw, exact=exact
            )
            wsum += weight
            acc += weight * exact  # the total uses exact scores, rounded once at display
        total: Decimal | None = None
        if wsum > 0:
            total = acc / wsum
            shares = self._effective(wsum)
            for c in comps.values():
                if c.exact is not None:
                    c.effective_weight = shares[c.name]
        team_id = row["team_id"]
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
            total_exact=total,
            is_lead=bool(row.get("is_lead")),
            carries_cases=bool(row.get("cases")),
        )
        if row["majors"] and self.veto:
            card.vetoed = True
            card.total, card.total_exact = 0.0, Decimal(0)
            card.veto_reason = str(row.get("veto_reason") or "major violation")
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


def _arrow(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    if now - before > ARROW_EPSILON:
        return "up"
    if before - now > ARROW_EPSILON:
        return "down"
    return "same"


@lru_cache(maxsize=256)
def _weight(w: float) -> Decimal:
    return Decimal(str(w))


def _improve(card: Scorecard) -> str | None:
    if card.vetoed:
        return "veto"
    best, gap = None, Decimal(0)
    for c in card.components.values():
        if c.exact is None or c.effective_weight is None:
            continue
        g = _weight(c.weight) * (100 - c.exact)
        if g > gap:
            best, gap = c.name, g
    return best


def _tied(ranks: dict[int, int]) -> set[int]:
    seen: dict[int, int] = defaultdict(int)
    for r in ranks.values():
        seen[r] += 1
    return {eid for eid, r in ranks.items() if seen[r] > 1}


def compute_branch(
    s: Session, cfg: ScoringConfig, branch: BranchInfo, month: date, as_of: date | None = None
) -> list[Scorecard]:
    """Every collector's scorecard of one branch for a month, with ranks, team averages and
    arrows against the previous month's frozen snapshot. Sorted by team, then rank.

    `as_of` (branch-local date) marks a live month: if it falls inside the month, recovery
    targets are paced to the days elapsed (see docs/scoring.md); None = a complete month."""
    teams = {
        tid: (code, name)
        for tid, code, name in s.execute(
            select(Team.id, Team.code, Team.name).where(Team.branch_id == branch.id)
        )
    }
    cur = s.execute(select(Branch.currency).where(Branch.id == branch.id)).scalar_one_or_none()
    scorer = _Scorer(cfg, branch, month, as_of)
    # Scored as the rows arrive (streamed on PostgreSQL): the Python overlaps the statement.
    cards = [scorer.card(r, teams) for r in iter_rows(s, cfg, branch, month, plan=scorer.plan)]
    vetoed = [c for c in cards if c.vetoed]
    if vetoed:
        reasons = veto_reasons(s, [c.employee_id for c in vetoed], month, branch.timezone)
        for c in vetoed:
            c.veto_reason = reasons.get(c.employee_id) or "major violation"
    by_team: dict[int | None, list[Scorecard]] = defaultdict(list)
    for c in cards:
        c.currency = cur or "CNY"
        by_team[c.team_id].append(c)
    branch_ranks = competition_ranks(cards)
    tied_branch = _tied(branch_ranks)
    for team_id, members in by_team.items():
        ranks = competition_ranks(members) if team_id is not None else {}
        tied = _tied(ranks)
        # Averages over the members who are ranked (a lead without cases is not a peer).
        peers = [m for m in members if rankable(m)]
        avg_total = r1(_mean([m.total_exact for m in peers if m.total_exact is not None]))
        comp_avgs: dict[str, tuple[float | None, float | None]] = {}
        for name in members[0].components if members else []:
            scores = [m.components[name].exact for m in peers]
            raws = [m.components[name].raw_exact for m in peers]
            comp_avgs[name] = (
                r1(_mean([x for x in scores if x is not None])),
                r4(_mean([x for x in raws if x is not None])),
            )
        for m in members:
            m.rank_team = ranks.get(m.employee_id)
            m.tied_team = m.employee_id in tied
            m.team_size = len(ranks)
            m.rank_branch = branch_ranks.get(m.employee_id)
            m.tied_branch = m.employee_id in tied_branch
            m.branch_size = len(branch_ranks)
            if team_id is not None:
                m.team_average_total = avg_total
                for name, comp in m.components.items():
                    comp.team_average, comp.team_average_raw = comp_avgs[name]
            m.improve = _improve(m)
    prev = previous_snapshots(s, branch.id, add_months(month, -1))
    for c in cards:
        snap = prev.get(c.employee_id)
        if snap is None:
            continue
        total, components = snap
        c.previous_total = r1(total)
        c.arrow = _arrow(c.total, c.previous_total)
        for name, comp in c.components.items():
            before = (components or {}).get(name, {}).get("score")
            comp.previous = before
            comp.arrow = _arrow(comp.score, before)
    cards.sort(key=lambda c: (c.team_code or "~", c.rank_team or 10**9, c.employee_no))
    return cards


def previous_snapshots(
    s: Session, branch_id: int, month: date
) -> dict[int, tuple[float | None, dict[str, Any] | None]]:
    """The month's frozen snapshots of the branch's employees: employee id → (total,
    components). Columns only: no ORM objects for a branch's worth of rows."""
    rows = s.execute(
        select(ScoreSnapshot.employee_id, ScoreSnapshot.total, ScoreSnapshot.components).where(
            ScoreSnapshot.month == month,
            ScoreSnapshot.employee_id.in_(
                select(Employee.id).where(Employee.branch_id == branch_id)
            ),
        )
    )
    return {eid: (total, components) for eid, total, components in rows}
