"""Ranks, ties and team averages of a branch's scorecards (engine.compute_branch)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from operator import attrgetter

from coaching.scoring.cards import Scorecard
from coaching.scoring.money import r1, r4


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
    """The mean, summed in the list's order. Exact zeros (many scores and rates) are left
    out of the sum (`filter`): adding one never changes a sum's value, nor its rounding at
    28 digits, and the averages are shown rounded (r1, r4), which depends on the value alone.
    They still count in the mean's denominator."""
    return sum(filter(None, xs), Decimal(0)) / len(xs) if xs else None


def rank_and_average(cards: list[Scorecard]) -> None:
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
        t = c.team_id
        if t is not None:
            c.team_size = team_n[t]
            if c.rank_branch is not None:
                peers[t].append(c)
    # Each team's averages are computed when first read (most cards' never are: they are
    # ranked, listed or frozen); the card's components share a `cards.Pending` holding them.
    # (The holder keeps the team's cards: a reference cycle, which the collector frees.)
    teams = {t: TeamAverages(members) for t, members in peers.items()}
    for c in cards:
        t = c.team_id
        if t is None:
            continue
        team = teams.get(t) or TeamAverages([])
        for comp in c.components.values():
            pending = comp._detail
            if pending.__class__ is list:
                pending[3] = team  # type: ignore[index]
            else:  # a card built by hand: its averages now
                c.team_average_total = team.total()
                for x in c.components.values():
                    x.team_average, x.team_average_raw = team.component(x.name)
            break


class TeamAverages:
    """A team's averages over its ranked members (the list given, in the cards' order),
    computed on first read: the total's and each component's score and raw value."""

    __slots__ = ("members", "values")

    def __init__(self, members: list[Scorecard]) -> None:
        self.members = members
        self.values: tuple[float | None, dict[str, tuple[float | None, float | None]]] | None
        self.values = None

    def _get(self) -> tuple[float | None, dict[str, tuple[float | None, float | None]]]:
        v = self.values
        if v is None:
            members, comps = self.members, {}
            # Every member has the profile's components, in its order: a column per name.
            names = list(members[0].components) if members else []
            columns = zip(*(m.components.values() for m in members), strict=True)
            for name, col in zip(names, columns, strict=True):
                comps[name] = (
                    r1(_mean([x.exact for x in col if x.exact is not None])),
                    r4(_mean([x.raw_exact for x in col if x.raw_exact is not None])),
                )
            totals = [m.total_exact for m in members if m.total_exact is not None]
            v = self.values = (r1(_mean(totals)), comps)
        return v

    def total(self) -> float | None:
        return self._get()[0]

    def component(self, name: str) -> tuple[float | None, float | None]:
        return self._get()[1].get(name, (None, None))
