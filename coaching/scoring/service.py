"""What handlers, the CLI and jobs ask of scoring; every function takes a Session."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo, all_branches, branch_info
from coaching.scoring.cache import branch_cards
from coaching.scoring.config import ScoringConfig
from coaching.scoring.engine import Scorecard, add_months, local_month
from coaching.scoring.money import r1
from coaching.scoring.snapshots import TrendPoint, history
from db.models import Branch, Employee, Team


class ScopeError(LookupError):
    """An unknown employee, team or branch; the message names it."""


def _today(b: BranchInfo, now: datetime) -> date:
    """The branch-local date: a live month's recovery target is paced to it."""
    return b.local(now).date()


def _branch(s: Session, branch_id: int) -> BranchInfo:
    b = s.get(Branch, branch_id)
    assert b is not None
    return branch_info(b)


def my_card(s: Session, cfg: ScoringConfig, employee_id: int, now: datetime) -> Scorecard | None:
    """The employee's live month-to-date scorecard (ranks need the whole branch)."""
    emp = s.get(Employee, employee_id)
    if emp is None:
        return None
    b = _branch(s, emp.branch_id)
    cards = branch_cards(s, cfg, b, local_month(now, b.timezone), _today(b, now))
    return next((c for c in cards if c.employee_id == employee_id), None)


@dataclass(frozen=True)
class MyView:
    card: Scorecard
    live: bool  # False: last month's final card, this month has nothing to score yet
    this_month: date


def my_view(s: Session, cfg: ScoringConfig, employee_id: int, now: datetime) -> MyView | None:
    """What /score shows: the month to date once it has data; before that (the first days
    of a month) last month's final card, marked as such. Never an empty month's 'score'."""
    emp = s.get(Employee, employee_id)
    if emp is None:
        return None
    b = _branch(s, emp.branch_id)
    this = local_month(now, b.timezone)
    live = next(
        (c for c in branch_cards(s, cfg, b, this, _today(b, now)) if c.employee_id == employee_id),
        None,
    )
    if live is not None and live.has_data:
        return MyView(live, True, this)
    last = next(
        (c for c in branch_cards(s, cfg, b, add_months(this, -1)) if c.employee_id == employee_id),
        None,
    )
    return _pick_view(live, last, this)


def _pick_view(live: Scorecard | None, last: Scorecard | None, this: date) -> MyView | None:
    if live is not None and live.has_data:
        return MyView(live, True, this)
    if last is not None and last.has_data:
        return MyView(last, False, this)
    return MyView(live, True, this) if live is not None else None


@dataclass(frozen=True)
class BranchViews:
    """One scoring of a branch, seen the ways the chat shows it (the dashboard precomputes
    it): each team's view, each collector's /score view and this month's live cards."""

    month: date
    teams: list[TeamView]
    mine: dict[int, MyView]  # employee id -> what /score shows (my_view)
    live: dict[int, Scorecard]  # employee id -> this month's live card (the trend's last point)


def branch_views(s: Session, cfg: ScoringConfig, branch_id: int, now: datetime) -> BranchViews:
    """`team_view` for every team and `my_view` for every collector scored this month, from
    one scoring of the branch (last month's cards only when someone has no data yet)."""
    b = _branch(s, branch_id)
    this = local_month(now, b.timezone)
    cards = branch_cards(s, cfg, b, this, _today(b, now))
    live = {c.employee_id: c for c in cards}
    last: dict[int, Scorecard] = {}
    if any(not c.has_data for c in cards):
        last = {c.employee_id: c for c in branch_cards(s, cfg, b, add_months(this, -1))}
    mine = {}
    for eid, c in live.items():
        v = _pick_view(c, last.get(eid), this)
        if v is not None:
            mine[eid] = v
    teams = [TeamView(t, this, _members(cards, t.id)) for t in teams_in(s, branch_id)]
    return BranchViews(this, teams, mine, live)


def trend_points(
    s: Session, cfg: ScoringConfig, employee_id: int, now: datetime, months: int = 6
) -> tuple[str, list[TrendPoint]]:
    """Frozen past months plus this month live, oldest first."""
    emp = s.get(Employee, employee_id)
    assert emp is not None
    b = _branch(s, emp.branch_id)
    this = local_month(now, b.timezone)
    points = history(s, emp.id, emp.team_id, add_months(this, -1), months - 1)
    cards = branch_cards(s, cfg, b, this, _today(b, now))
    mine = next((c for c in cards if c.employee_id == emp.id), None)
    points.append(
        TrendPoint(
            month=this,
            total=mine.total if mine else None,
            team_average=mine.team_average_total if mine else None,
            vetoed=bool(mine and mine.vetoed),
        )
    )
    return emp.employee_no, points


@dataclass(frozen=True)
class TeamRef:
    id: int
    code: str
    name: str
    branch_id: int
    branch_code: str
    branch_name: str = ""


def _team_ref(t: Team) -> TeamRef:
    return TeamRef(t.id, t.code, t.name, t.branch_id, t.branch.code, t.branch.name)


def team_by_code(s: Session, code: str) -> TeamRef | None:
    """The team with this code; typed on a phone, so case and full-width forms do not matter
    ("sh-2", "ＳＨ－２")."""
    code = unicodedata.normalize("NFKC", code).strip()
    t = s.execute(select(Team).where(Team.code == code)).scalar_one_or_none()
    if t is None:
        t = (
            s.execute(select(Team).where(func.upper(Team.code) == code.upper()).order_by(Team.id))
            .scalars()
            .first()
        )
    return _team_ref(t) if t else None


def teams_by_ids(s: Session, team_ids: set[int]) -> list[TeamRef]:
    if not team_ids:
        return []
    q = select(Team).where(Team.id.in_(team_ids)).order_by(Team.code)
    return [_team_ref(t) for t in s.execute(q).scalars()]


def branch_name(s: Session, branch_id: int | None) -> str:
    b = s.get(Branch, branch_id) if branch_id is not None else None
    return b.name if b else ""


def team_by_id(s: Session, team_id: int) -> TeamRef | None:
    t = s.get(Team, team_id)
    return _team_ref(t) if t else None


def teams_in(s: Session, branch_id: int | None) -> list[TeamRef]:
    q = select(Team).order_by(Team.code)
    if branch_id is not None:
        q = q.where(Team.branch_id == branch_id)
    return [_team_ref(t) for t in s.execute(q).scalars()]


@dataclass
class TeamView:
    team: TeamRef
    month: date
    cards: list[Scorecard]  # sorted by total, best first; n/a last


def team_view(
    s: Session, cfg: ScoringConfig, team_id: int, now: datetime, month: date | None = None
) -> TeamView | None:
    ref = team_by_id(s, team_id)
    if ref is None:
        return None
    b = _branch(s, ref.branch_id)
    m = month or local_month(now, b.timezone)
    return TeamView(ref, m, _members(branch_cards(s, cfg, b, m, _today(b, now)), team_id))


def _members(cards: list[Scorecard], team_id: int) -> list[Scorecard]:
    """A team's cards: ranked members by rank, then the unranked (leads without cases,
    nothing to score)."""
    out = [c for c in cards if c.team_id == team_id]
    out.sort(key=lambda c: (c.rank_team is None, c.rank_team or 0, c.employee_no))
    return out


@dataclass(frozen=True)
class TeamSummary:
    code: str
    name: str
    members: int
    average: float | None
    vetoes: int
    best: float | None
    worst: float | None


def branch_comparison(
    s: Session,
    cfg: ScoringConfig,
    branch_id: int,
    now: datetime,
    cards: list[Scorecard] | None = None,
) -> tuple[str, list[TeamSummary]]:
    """Each team's figures this month; `cards`: the branch's live cards when already at hand."""
    b = _branch(s, branch_id)
    if cards is None:
        cards = branch_cards(s, cfg, b, local_month(now, b.timezone), _today(b, now))
    out = []
    for t in teams_in(s, branch_id):
        members = [c for c in cards if c.team_id == t.id]
        ranked = [c for c in members if c.rank_branch is not None]
        exact = [c.total_exact for c in ranked if c.total_exact is not None]
        totals = [c.total for c in ranked if c.total is not None]
        out.append(
            TeamSummary(
                code=t.code,
                name=t.name,
                members=len(ranked),
                average=r1(sum(exact, Decimal(0)) / len(exact)) if exact else None,
                vetoes=sum(1 for c in members if c.vetoed),
                best=max(totals) if totals else None,
                worst=min(totals) if totals else None,
            )
        )
    out.sort(key=lambda x: (x.average is None, -(x.average or 0)))
    return b.code, out


def cards_for(
    s: Session,
    cfg: ScoringConfig,
    month: date,
    *,
    employee_no: str | None = None,
    team: str | None = None,
    branch: str | None = None,
    now: datetime | None = None,
) -> list[Scorecard]:
    """Scorecards for the CLI's selection; ranks are always computed over the whole branch."""
    branches = all_branches(s)
    emp_id = team_id = None
    if employee_no:
        emp = s.execute(
            select(Employee).where(Employee.employee_no == employee_no)
        ).scalar_one_or_none()
        if emp is None:
            raise ScopeError(f"no employee {employee_no}")
        emp_id = emp.id
        branches = [b for b in branches if b.id == emp.branch_id]
    elif team:
        ref = team_by_code(s, team)
        if ref is None:
            raise ScopeError(f"no team {team}")
        team_id = ref.id
        branches = [b for b in branches if b.id == ref.branch_id]
    elif branch:
        branches = [b for b in branches if b.code == branch]
        if not branches:
            raise ScopeError(f"no branch {branch}")
    out: list[Scorecard] = []
    for b in branches:
        for c in branch_cards(s, cfg, b, month, _today(b, now) if now else None):
            if emp_id is not None and c.employee_id != emp_id:
                continue
            if team_id is not None and c.team_id != team_id:
                continue
            out.append(c)
    if emp_id is not None and not out:
        raise ScopeError(f"{employee_no} is not a collector employed in {month:%Y-%m}")
    return out


def chart_dir(base: Path) -> Path:
    p = base / "charts"
    p.mkdir(parents=True, exist_ok=True)
    return p


def led_team_ids(s: Session, employee_id: int, team_id: int | None) -> set[int]:
    """Teams an employee leads: Team.lead_id, or their own team if they hold no lead_id."""
    ids = set(s.execute(select(Team.id).where(Team.lead_id == employee_id)).scalars())
    if not ids and team_id is not None:
        ids = {team_id}
    return ids
