"""Month-to-date scorecards: the SQL aggregates (queries.py) scored following rules.py, then
ranked, averaged (ranking.py) and compared with last month's snapshot. See docs/scoring.md.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo
from coaching.scoring.cards import UNSET, Component, Scorecard, arrows
from coaching.scoring.config import ScoringConfig
from coaching.scoring.money import r1
from coaching.scoring.queries import (
    COLUMNS,
    add_months,
    local_month,
    month_bounds,
    month_end,
    month_start,
    parse_month,
    row_tuples,
)
from coaching.scoring.ranking import competition_ranks, rank_and_average, rankable
from coaching.scoring.rules import (
    CENT,
    HUNDRED,
    NA_REASONS,
    ZERO,
    Plan,
    _handled_int,
    band_score,
    bucket_totals,
    planned_raw_values,
    repaid_any,
)

__all__ = [
    "Component",
    "Scorecard",
    "add_months",
    "competition_ranks",
    "compute_branch",
    "local_month",
    "month_bounds",
    "month_end",
    "month_start",
    "parse_month",
    "rankable",
]

# Display places: scores and totals to 0.1, raw values (rates) to 0.0001 (money.r1 / r4).
_R1, _R4 = Decimal("0.1"), Decimal("0.0001")
# The components by number (`_Scorer.parts`): profile names come from YAML, so they are
# compared as small integers in the per-card loop, not as strings.
_KIND = {name: i for i, name in enumerate(NA_REASONS)}
_REC, _CMP, _SAT, _CPL, _SKL, _GRW, _PTP, _CST = range(len(_KIND))
_Scored = tuple[Decimal, float, float, Decimal, Decimal]
_I = {k: i for i, k in enumerate(COLUMNS)}


class _Scorer:
    """The profile's components resolved once per computation."""

    def __init__(
        self, cfg: ScoringConfig, branch: BranchInfo, month: date, as_of: date | None = None
    ) -> None:
        self.cfg, self.branch, self.month = cfg, branch, month
        # A month still running on `as_of`: recovery is held to the month's pace so far.
        last = month_end(month)
        self.pace = (as_of.day, last.day) if as_of is not None and month <= as_of < last else None
        self.share = Decimal(self.pace[0]) / Decimal(self.pace[1]) if self.pace else None
        weights = list(cfg.profile(branch.score_profile).weights.items())
        self.names = frozenset(n for n, _ in weights)
        self.veto = cfg.compliance.major_veto
        self.deduction = cfg.compliance.minor_deduction
        plan = self.plan = Plan(cfg, branch.code)  # the config resolved once, not per collector
        # Per component: (name, kind, weight, as shown, back as the Decimal the shares are
        # computed from, its bit, its band, a memo of its scores, the scores of 100 and 0).
        self.parts = []
        for i, (n, w) in enumerate(weights):
            shown = Decimal(str(float(w)))
            ends = tuple(self._scored(n, x, None, w, shown, exact=x) for x in (HUNDRED, ZERO))
            band = plan.specs.get(n)
            self.parts.append((n, _KIND[n], w, float(w), shown, 1 << i, band, {}, ends))
        # The weight sum and effective weights depend only on which components are available.
        self._by_mask: dict[int, tuple[Decimal, tuple[float | None, ...]]] = {}

    def _shares(self, mask: int) -> tuple[Decimal, tuple[float | None, ...]]:
        """(weight sum, effective weight of each part: None for those not in `mask`)."""
        wsum = ZERO
        for _, _, w, _, _, bit, *_ in self.parts:
            if mask & bit:
                wsum += w  # in profile order, as the total's denominator always was
        shares = tuple(
            r1(HUNDRED * shown / wsum) if mask & bit else None
            for _, _, _, _, shown, bit, *_ in self.parts
        )
        self._by_mask[mask] = (wsum, shares)
        return wsum, shares

    def _scored(
        self,
        name: str,
        raw: Decimal,
        band: object,
        weight: Decimal,
        shown_w: Decimal,
        exact: Decimal | None = None,
    ) -> _Scored:
        """(exact score, shown raw, shown score, weight × exact, shown weight × (100 − exact))
        of a raw value (memoised by the caller: many collectors share one)."""
        if exact is None and name == "compliance":
            exact = max(ZERO, HUNDRED - self.deduction * raw)
        elif exact is None:
            exact = band_score(name, raw, band)  # type: ignore[arg-type]
        return (
            exact,
            float(raw.quantize(_R4, ROUND_HALF_UP)),
            float(exact.quantize(_R1, ROUND_HALF_UP)),
            weight * exact,
            shown_w * (HUNDRED - exact),
        )

    def details(self, row: Sequence[object]) -> dict[str, dict[str, object]]:
        """Every component's detail for a row (rules.raw_values), for cards.Component.detail."""
        raws = planned_raw_values(
            dict(zip(COLUMNS, row, strict=True)), self.pace, self.names, self.plan
        )
        return {n: v[1] for n, v in raws.items()}

    def card(self, row: Sequence[object]) -> Scorecard:
        """One collector's card from its statement row (queries.row_tuples, `COLUMNS` order),
        with last month's arrows. The raw values follow rules.planned_raw_values exactly (its
        tests are the reference), without building a dict per row or per component."""
        # Unpacked by position (`COLUMNS`); the rarer components read theirs in `_other`.
        (eid, employee_no, name, team_id, is_lead, team_code, team_name, prev_total, prev_comps,
         cases, calls, connected, complaints, minors, majors, _, skills_n, _, _, _, _, _, _,
         currency, veto_reason, assigned, _, credited, t_acc, z_acc, _, hw,
         repaid_on) = row  # fmt: skip
        plan, share = self.plan, self.share
        pending = [self.details, row, None, None]  # details, team averages (cards.Pending)
        comps: dict[str, Component] = {}
        mask = 0
        acc = gap = ZERO
        improve: str | None = None
        # Components built positionally (name, weight, raw, score, effective_weight,
        # team_average, team_average_raw, previous, arrow, detail, na_reason, raw_exact, exact):
        # keyword arguments cost a third more, and this runs once per component per collector.
        for cname, kind, weight, wf, shown_w, bit, band, memo, ends in self.parts:
            na: str | None = None
            hit: tuple | None  # type: ignore[type-arg]
            if kind == _REC:
                # Recovery needs the collector to have done something this month: with no
                # call, payment, complaint, finding or assessment yet (the 1st of the month, a
                # month-long leave) a 0 % rate would be a verdict on nothing.
                if not (calls or complaints or minors or majors or skills_n or repaid_on):
                    na = "no_activity" if assigned else "no_assigned"
                elif not assigned > 0:  # type: ignore[operator]
                    na = "no_assigned"
                else:  # rules._recovery, its band the collector's own blend (band_score)
                    # int × Decimal converts the int exactly, as Decimal(int) × Decimal does:
                    # the same result, without the constructor's argument parsing.
                    assigned_d = assigned * CENT  # type: ignore[operator]
                    raw = credited * plan.credit_unit / assigned_d  # type: ignore[operator]
                    t = t_acc * plan.band_unit / assigned_d  # type: ignore[operator]
                    z = z_acc * plan.band_unit / assigned_d  # type: ignore[operator]
                    if share is not None:
                        t, z = t * share, z * share
                    if raw >= t:
                        exact, _, score, weighted, g = ends[0]
                    elif raw <= z:
                        exact, _, score, weighted, g = ends[1]
                    else:
                        exact = HUNDRED * (raw - z) / (t - z)
                        score = float(exact.quantize(_R1, ROUND_HALF_UP))
                        weighted, g = weight * exact, shown_w * (HUNDRED - exact)
                    shown = float(raw.quantize(_R4, ROUND_HALF_UP))
                    hit = (raw, exact, shown, score, weighted, g)
            elif kind == _CPL:
                # Nothing to be compliant about without calls; a finding is something, though.
                if calls or minors:
                    hit = memo.get(minors)
                    if hit is None:
                        raw = Decimal(minors or 0)  # type: ignore[arg-type]
                        hit = memo[minors] = (raw, *self._scored(cname, raw, None, weight, shown_w))
                else:
                    na = "no_calls"
            elif kind in (_CMP, _SAT):
                # complaints / connected calls or / weighted cases handled; n/a without either.
                by_call = band.per == "connected_call"  # type: ignore[union-attr]
                key = (complaints, connected) if by_call else (complaints, hw)
                hit = memo.get(key, False)
                if hit is False:
                    hit = memo[key] = self._rate(
                        cname, complaints, connected, hw, by_call, band, weight, shown_w
                    )
                if hit is None:
                    na = "no_handled"
            else:
                hit = self._other(kind, cname, row, band, memo, weight, shown_w)
                if hit is None:
                    na = NA_REASONS[cname]
            if na is not None:
                comps[cname] = Component(
                    cname, wf, None, None, None, UNSET, UNSET, None, None, pending, na
                )
                continue
            raw, exact, shown, score, weighted, g = hit  # type: ignore[misc]
            comps[cname] = Component(
                cname, wf, shown, score, None, UNSET, UNSET, None, None, pending, None, raw, exact
            )
            mask |= bit
            acc += weighted  # the total uses exact scores, rounded once at display
            # What to improve: the largest weighted gap to 100 (the first one on a tie).
            if g > gap:
                improve, gap = cname, g
        total: Decimal | None = None
        shown_total: float | None = None
        if mask:
            hit = self._by_mask.get(mask) or self._shares(mask)
            total = acc / hit[0]
            shown_total = float(total.quantize(_R1, ROUND_HALF_UP))
            for c, ew in zip(comps.values(), hit[1], strict=True):
                c.effective_weight = ew  # None (as it was) for an n/a one
        b = self.branch
        card = Scorecard(
            eid,  # type: ignore[arg-type]
            employee_no,  # type: ignore[arg-type]
            name,  # type: ignore[arg-type]
            b.id,
            b.code,
            team_id,  # type: ignore[arg-type]
            team_code,  # type: ignore[arg-type]
            team_name,  # type: ignore[arg-type]
            b.score_profile,
            self.month,
            comps,
            shown_total,
            # vetoed, veto_reason, rank_team, rank_branch, team_size, branch_size,
            # team_average_total, previous_total, arrow (positional: see the components)
            False,
            "",
            None,
            None,
            0,
            0,
            UNSET,  # the team's average: computed when read (ranking.TeamAverages)
            None,
            None,
            improve,
            total,
            currency or "CNY",  # type: ignore[arg-type]
            bool(is_lead),
            bool(cases),
        )
        if majors and self.veto:
            card.vetoed = True
            card.total, card.total_exact = 0.0, Decimal(0)
            card.veto_reason = str(veto_reason or "major violation")
            card.improve = "veto"
        # Last month's snapshot (its components are never NULL; an absent one leaves the
        # defaults, which is also what a snapshot without total or components gives).
        if prev_comps is not None or prev_total is not None:
            arrows(card, prev_total, prev_comps)  # type: ignore[arg-type]
        return card

    def _rate(
        self,
        name: str,
        complaints: object,
        connected: object,
        hw: object,
        by_call: bool,
        band: object,
        weight: Decimal,
        shown_w: Decimal,
    ) -> tuple | None:  # type: ignore[type-arg]
        """complaints / satisfaction (rules.planned_raw_values): (raw, *_Scored) or None."""
        n = complaints or 0
        if by_call:
            c = connected or 0
            rate = Decimal(n) / Decimal(c) if c > 0 else None  # type: ignore[arg-type, operator]
        else:
            cache = self.plan.cache
            hw_d = cache.get(("hw", hw))
            if hw_d is None:
                hw_d = cache[("hw", hw)] = Decimal(hw) * self.plan.w_unit  # type: ignore[arg-type]
            rate = Decimal(n) / hw_d if hw_d > 0 else None  # type: ignore[arg-type]
        return None if rate is None else (rate, *self._scored(name, rate, band, weight, shown_w))

    def _other(
        self,
        kind: int,
        name: str,
        row: Sequence[object],
        band: object,
        memo: dict[object, tuple | None],  # type: ignore[type-arg]
        weight: Decimal,
        shown_w: Decimal,
    ) -> tuple | None:  # type: ignore[type-arg]
        """skills, skill_growth, ptp_kept and cost_per_case, as rules.planned_raw_values:
        (raw, *_Scored), or None for n/a; memoised on the values the raw one is made of."""
        if kind in (_SKL, _GRW):
            if not row[_I["skills_n"]]:
                return None
            now = float(row[_I["skills_avg"]])  # type: ignore[arg-type]
            before = None
            if kind == _GRW:
                if not int(row[_I["skills_prev_n"]] or 0):  # type: ignore[call-overload]
                    return None
                before = float(row[_I["skills_prev_avg"]])  # type: ignore[arg-type]
            key: tuple[object, ...] = (now, before)
        elif kind == _PTP:
            key = (int(row[_I["ptp_kept"]] or 0), int(row[_I["ptp_broken"]] or 0))  # type: ignore[call-overload]
            if not key[0] + key[1]:  # type: ignore[operator]
                return None
        else:  # cost_per_case
            handled = row[_I["handled"]]
            if not row[_I["cost_n"]] or not handled:
                return None
            key = (row[_I["cost"]] or 0, handled)
        hit = memo.get(key, False)
        if hit is not False:
            return hit
        if kind == _SKL:
            raw = Decimal(repr(now))
        elif kind == _GRW:
            raw = Decimal(repr(now)) - Decimal(repr(before))
        elif kind == _PTP:
            raw = Decimal(key[0]) / Decimal(key[0] + key[1])  # type: ignore[operator, arg-type]
        else:
            cents = key[0]
            cost = Decimal(int(cents)).scaleb(-2) if cents else ZERO  # type: ignore[call-overload]
            raw = cost / Decimal(key[1])  # type: ignore[arg-type]
        hit = memo[key] = (raw, *self._scored(name, raw, band, weight, shown_w))
        return hit


def score_row(
    cfg: ScoringConfig,
    branch: BranchInfo,
    month: date,
    row: dict[str, object],
    teams: dict[int, tuple[str, str]],
) -> Scorecard:
    """One card from a row given as a dict (raw_rows' columns, or per-bucket sums a0…, r0…,
    h0… as in tests); `teams` (id → code, name) for a row without its team's columns."""
    scorer = _Scorer(cfg, branch, month)
    full = dict(row)
    if "credited" not in row:
        keys = ("assigned", "repaid", "credited", "t_acc", "z_acc")
        full.update(zip(keys, bucket_totals(row, scorer.plan), strict=True))
        full["handled"], full["handled_w"] = _handled_int(row, scorer.plan)
        full["repaid_any"] = repaid_any(row)
    team_id = row.get("team_id")
    if "team_code" not in row:
        full["team_code"], full["team_name"] = (
            teams.get(team_id, (None, None)) if team_id else (None, None)
        )  # type: ignore[arg-type]
    return scorer.card(tuple(full.get(k) for k in COLUMNS))


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused while a branch's cards are built: they are all
    kept, yet each few hundred new objects made it traverse them (and the rows) again — a
    tenth of the Python time for 1,000 cards, for nothing to free. Reference counting still
    frees everything else; the collector resumes (if it was on) when the cards are done."""
    global _paused_by, _was_enabled
    # Counted under a lock: with two threads scoring at once, a bare isenabled()/disable()
    # pair can read "off" just before the other thread turns it back on, and leave it off.
    with _gc_lock:
        if _paused_by == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused_by += 1
    try:
        yield
    finally:
        with _gc_lock:
            _paused_by -= 1
            if _paused_by == 0 and _was_enabled:
                gc.enable()


_gc_lock = threading.Lock()
_paused_by = 0  # threads inside _no_cycle_collection
_was_enabled = True


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
    card = scorer.card
    with _no_cycle_collection():
        cards = [card(r) for r in row_tuples(s, cfg, branch, month, plan=scorer.plan)]
        rank_and_average(cards)
    cards.sort(key=lambda c: (c.team_code or "~", c.rank_team or 10**9, c.employee_no))
    return cards
