"""Month-to-date scorecards, computed set-based in SQL.

One aggregate query per source table (cases, repayments, calls, complaints, QA findings,
assessment results), each grouped by collector and LEFT JOINed onto the branch's collectors in
ONE statement (the aggregates are bounded by the month only: a semi-join on the branch's
collectors cost more than aggregating the other branches' rows, which the join then drops).
Python then only walks the per-collector rows (normalising, ranking), never the calls or
repayments themselves. See docs/scoring.md for the model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Float, case, func, literal, or_, select
from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo
from coaching.scoring.config import LOWER_IS_BETTER, ScoringConfig
from db.models import (
    AssessmentResult,
    Call,
    Case,
    Complaint,
    Employee,
    EmployeeRole,
    QaFinding,
    Repayment,
    ScoreSnapshot,
    Team,
)

# Differences smaller than this (points) show as "→" rather than an arrow.
ARROW_EPSILON = 0.5


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(m: date, n: int) -> date:
    y, mo = divmod(m.year * 12 + (m.month - 1) + n, 12)
    return date(y, mo + 1, 1)


def month_end(m: date) -> date:
    """The last day of the month starting at `m`."""
    return add_months(m, 1) - timedelta(days=1)


def parse_month(text: str) -> date:
    """'YYYY-MM' → first day of that month; ValueError with a clear message otherwise."""
    try:
        y, m = text.strip().split("-")
        return date(int(y), int(m), 1)
    except ValueError:
        raise ValueError(f"month must look like YYYY-MM, got {text!r}") from None


def local_month(now: datetime, tz: str) -> date:
    return month_start(now.astimezone(ZoneInfo(tz)).date())


def month_bounds(m: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of the branch-local month, in UTC."""
    z = ZoneInfo(tz)
    start = datetime.combine(m, time(0), z).astimezone(UTC)
    end = datetime.combine(add_months(m, 1), time(0), z).astimezone(UTC)
    return start, end


@dataclass(slots=True)
class Component:
    name: str
    weight: float  # as configured in the profile
    raw: float | None = None  # None = n/a
    score: float | None = None  # 0–100, None = n/a
    effective_weight: float | None = None  # share of the total after redistribution, in %
    team_average: float | None = None  # of the score
    team_average_raw: float | None = None
    previous: float | None = None  # last month's frozen score
    arrow: str | None = None  # "up" / "down" / "same" / None (no history)
    detail: dict[str, float] = field(default_factory=dict)

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
    total: float | None = None
    vetoed: bool = False
    veto_reason: str = ""
    rank_team: int | None = None
    rank_branch: int | None = None
    team_size: int = 0  # scored members (the rank's denominator)
    branch_size: int = 0
    team_average_total: float | None = None
    previous_total: float | None = None
    arrow: str | None = None
    improve: str | None = None  # a component name, "veto", or None when nothing to improve


# --- the SQL -------------------------------------------------------------------------------


def _bucket_weight(cfg: ScoringConfig, bucket_col):  # type: ignore[no-untyped-def]
    whens = [(bucket_col == b, literal(w)) for b, w in cfg.bucket_weights.items() if w != 1.0]
    return case(*whens, else_=literal(1.0)) if whens else literal(1.0)


def _collectors(branch_id: int, first: date, last: date):  # type: ignore[no-untyped-def]
    """Collectors of a branch employed at some point of the month [first, last]."""
    return (
        select(
            Employee.id.label("eid"),
            Employee.employee_no,
            Employee.name,
            Employee.team_id,
            Employee.hire_date,
        )
        .where(
            Employee.branch_id == branch_id,
            Employee.hire_date <= last,
            or_(Employee.left_on.is_(None), Employee.left_on >= first),
            Employee.id.in_(
                select(EmployeeRole.employee_id).where(EmployeeRole.role == "collector")
            ),
        )
        .subquery("emp")
    )


def raw_rows(
    s: Session, cfg: ScoringConfig, branch: BranchInfo, month: date
) -> list[dict[str, object]]:
    """One row per collector with the month's aggregates (one SQL statement)."""
    first, last = month, month_end(month)
    start, end = month_bounds(month, branch.timezone)
    emp = _collectors(branch.id, first, last)
    f = Float()

    case_w = _bucket_weight(cfg, Case.bucket)
    asg = (
        select(
            Case.collector_id.label("eid"),
            func.sum(Case.amount_owed * case_w, type_=f).label("assigned_w"),
            func.count().label("cases"),
        )
        .where(
            Case.assigned_on <= last,
            or_(Case.closed_on.is_(None), Case.closed_on >= first),
        )
        .group_by(Case.collector_id)
        .subquery("asg")
    )
    pay = (
        select(
            Repayment.collector_id.label("eid"),
            func.sum(Repayment.amount * case_w, type_=f).label("repaid_w"),
        )
        .join(Case, Case.id == Repayment.case_id)
        .where(
            Repayment.paid_at >= start,
            Repayment.paid_at < end,
        )
        .group_by(Repayment.collector_id)
        .subquery("pay")
    )
    calls = (
        select(
            Call.collector_id.label("eid"),
            func.count().label("calls"),
            func.sum(case((Call.outcome != "no_answer", 1), else_=0)).label("connected"),
        )
        .where(Call.started_at >= start, Call.started_at < end)
        .group_by(Call.collector_id)
        .subquery("cl")
    )
    cmp = (
        select(Complaint.collector_id.label("eid"), func.count().label("complaints"))
        .where(
            Complaint.received_at >= start,
            Complaint.received_at < end,
        )
        .group_by(Complaint.collector_id)
        .subquery("cmp")
    )
    qa = (
        select(
            QaFinding.collector_id.label("eid"),
            func.sum(case((QaFinding.severity == "minor", 1), else_=0)).label("minors"),
            func.sum(case((QaFinding.severity == "major", 1), else_=0)).label("majors"),
        )
        .where(
            QaFinding.found_at >= start,
            QaFinding.found_at < end,
        )
        .group_by(QaFinding.collector_id)
        .subquery("qa")
    )
    sk = (
        select(
            AssessmentResult.employee_id.label("eid"),
            func.avg(AssessmentResult.score, type_=f).label("skills_avg"),
            func.count().label("skills_n"),
        )
        .where(
            AssessmentResult.at >= start,
            AssessmentResult.at < end,
        )
        .group_by(AssessmentResult.employee_id)
        .subquery("sk")
    )
    stmt = (
        select(
            emp.c.eid,
            emp.c.employee_no,
            emp.c.name,
            emp.c.team_id,
            asg.c.assigned_w,
            asg.c.cases,
            pay.c.repaid_w,
            calls.c.calls,
            calls.c.connected,
            cmp.c.complaints,
            qa.c.minors,
            qa.c.majors,
            sk.c.skills_avg,
            sk.c.skills_n,
        )
        .select_from(emp)
        .outerjoin(asg, asg.c.eid == emp.c.eid)
        .outerjoin(pay, pay.c.eid == emp.c.eid)
        .outerjoin(calls, calls.c.eid == emp.c.eid)
        .outerjoin(cmp, cmp.c.eid == emp.c.eid)
        .outerjoin(qa, qa.c.eid == emp.c.eid)
        .outerjoin(sk, sk.c.eid == emp.c.eid)
    )
    rows: list[dict[str, object]] = s.execute(stmt).mappings().all()  # type: ignore[assignment]
    # Majors are rare: fetch their reasons only for the collectors that have one.
    vetoed = [r["eid"] for r in rows if r["majors"]]
    if vetoed:
        rows = [dict(r) for r in rows]
        reasons: dict[int, str] = {}
        for eid, rule, note in s.execute(
            select(QaFinding.collector_id, QaFinding.rule, QaFinding.note)
            .where(
                QaFinding.collector_id.in_(vetoed),
                QaFinding.severity == "major",
                QaFinding.found_at >= start,
                QaFinding.found_at < end,
            )
            .order_by(QaFinding.found_at, QaFinding.id)
        ):
            reasons.setdefault(eid, f"{rule}: {note}" if note else rule)
        for r in rows:
            r["veto_reason"] = reasons.get(r["eid"], "")  # type: ignore[call-overload]
    return rows


# --- normalising and totals ----------------------------------------------------------------


def normalise(cfg: ScoringConfig, name: str, raw: float | None) -> float | None:
    """0–100 against the component's target (see docs/scoring.md)."""
    if raw is None:
        return None
    if name == "compliance":
        return max(0.0, 100.0 - cfg.compliance.minor_deduction * raw)
    spec = cfg.components[name]
    assert spec.target is not None
    if name in LOWER_IS_BETTER:
        assert spec.zero_at is not None
        if raw <= spec.target:
            return 100.0
        if raw >= spec.zero_at:
            return 0.0
        return 100.0 * (spec.zero_at - raw) / (spec.zero_at - spec.target)
    return min(100.0, 100.0 * raw / spec.target)


def raw_values(row: dict[str, object]) -> dict[str, tuple[float | None, dict[str, float]]]:
    """Each component's raw value (None = n/a) and the counts behind it."""
    assigned = float(row["assigned_w"] or 0)  # type: ignore[arg-type]
    repaid = float(row["repaid_w"] or 0)  # type: ignore[arg-type]
    calls = row["calls"] or 0
    connected = int(row["connected"] or 0)  # type: ignore[call-overload]
    complaints = int(row["complaints"] or 0)  # type: ignore[call-overload]
    minors = int(row["minors"] or 0)  # type: ignore[call-overload]
    majors = int(row["majors"] or 0)  # type: ignore[call-overload]
    skills_n = int(row["skills_n"] or 0)  # type: ignore[call-overload]
    rate = complaints / connected if connected else None
    active = assigned > 0 or calls or minors or majors or skills_n
    cdetail = {"complaints": complaints, "connected_calls": connected}
    return {
        "recovery": (
            repaid / assigned if assigned > 0 else None,
            {
                "repaid_weighted": round(repaid, 2),
                "assigned_weighted": round(assigned, 2),
                "cases": int(row["cases"] or 0),  # type: ignore[call-overload]
            },
        ),
        "complaints": (rate, cdetail),
        "satisfaction": (rate, cdetail),
        "compliance": (float(minors) if active else None, {"minor": minors, "major": majors}),
        "skills": (
            float(row["skills_avg"]) if skills_n else None,  # type: ignore[arg-type]
            {"assessments": skills_n},
        ),
    }


class _Scorer:
    """The profile's components with their normalisers resolved once per computation."""

    def __init__(self, cfg: ScoringConfig, branch: BranchInfo, month: date) -> None:
        self.cfg, self.branch, self.month = cfg, branch, month
        self.weights = list(cfg.profile(branch.score_profile).weights.items())
        self.veto = cfg.compliance.major_veto

    def card(self, row: dict[str, object], teams: dict[int, tuple[str, str]]) -> Scorecard:
        cfg = self.cfg
        raws = raw_values(row)
        comps: dict[str, Component] = {}
        wsum = acc = 0.0
        for name, weight in self.weights:
            raw, detail = raws[name]
            exact = normalise(cfg, name, raw)
            comps[name] = Component(
                name,
                weight,
                None if raw is None else round(raw, 4),
                None if exact is None else round(exact, 1),
                detail=detail,
            )
            if exact is not None:
                wsum += weight
                acc += weight * exact  # the total uses unrounded scores, rounded once
        total: float | None = None
        if wsum > 0:
            total = round(acc / wsum, 1)
            for c in comps.values():
                if c.score is not None:
                    c.effective_weight = round(100.0 * c.weight / wsum, 1)
        team_id = row["team_id"]
        tcode, tname = teams.get(team_id, (None, None)) if team_id else (None, None)  # type: ignore[arg-type]
        b = self.branch
        card = Scorecard(
            row["eid"],
            row["employee_no"],
            row["name"],
            b.id,
            b.code,  # type: ignore[arg-type]
            team_id,
            tcode,
            tname,
            b.score_profile,
            self.month,
            comps,
            total,  # type: ignore[arg-type]
        )
        if row["majors"] and self.veto:
            card.vetoed = True
            card.total = 0.0
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


def competition_ranks(cards: Iterable[Scorecard]) -> dict[int, int]:
    """Employee id → rank; equal totals share a rank and the next rank skips (1, 1, 3)."""
    scored = sorted((c for c in cards if c.total is not None), key=lambda c: -(c.total or 0))
    ranks: dict[int, int] = {}
    prev: float | None = None
    rank = 0
    for i, c in enumerate(scored, 1):
        if c.total != prev:
            rank, prev = i, c.total
        ranks[c.employee_id] = rank
    return ranks


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 1) if xs else None


def _arrow(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    if now - before > ARROW_EPSILON:
        return "up"
    if before - now > ARROW_EPSILON:
        return "down"
    return "same"


def _improve(card: Scorecard) -> str | None:
    if card.vetoed:
        return "veto"
    best, gap = None, 0.0
    for c in card.components.values():
        if c.score is None or c.effective_weight is None:
            continue
        g = c.effective_weight * (100.0 - c.score)
        if g > gap + 1e-9:
            best, gap = c.name, g
    return best


def compute_branch(
    s: Session, cfg: ScoringConfig, branch: BranchInfo, month: date
) -> list[Scorecard]:
    """Every collector's scorecard of one branch for a month, with ranks, team averages and
    arrows against the previous month's frozen snapshot. Sorted by team, then rank."""
    teams = {
        t.id: (t.code, t.name)
        for t in s.execute(select(Team).where(Team.branch_id == branch.id)).scalars()
    }
    scorer = _Scorer(cfg, branch, month)
    cards = [scorer.card(r, teams) for r in raw_rows(s, cfg, branch, month)]
    by_team: dict[int | None, list[Scorecard]] = defaultdict(list)
    for c in cards:
        by_team[c.team_id].append(c)
    branch_ranks = competition_ranks(cards)
    n_branch = len(branch_ranks)
    for team_id, members in by_team.items():
        ranks = competition_ranks(members) if team_id is not None else {}
        avg_total = _mean([m.total for m in members if m.total is not None])
        comp_avgs: dict[str, tuple[float | None, float | None]] = {}
        for name in members[0].components if members else []:
            scores = [m.components[name].score for m in members]
            raws = [m.components[name].raw for m in members]
            comp_avgs[name] = (
                _mean([x for x in scores if x is not None]),
                (lambda xs: round(sum(xs) / len(xs), 4) if xs else None)(
                    [x for x in raws if x is not None]
                ),
            )
        for m in members:
            m.rank_team = ranks.get(m.employee_id)
            m.team_size = len(ranks)
            m.rank_branch = branch_ranks.get(m.employee_id)
            m.branch_size = n_branch
            m.team_average_total = avg_total if team_id is not None else None
            for name, comp in m.components.items():
                if team_id is not None:
                    comp.team_average, comp.team_average_raw = comp_avgs[name]
            m.improve = _improve(m)
    prev = previous_snapshots(s, branch.id, add_months(month, -1))
    for c in cards:
        snap = prev.get(c.employee_id)
        if snap is None:
            continue
        c.previous_total = snap.total
        c.arrow = _arrow(c.total, snap.total)
        for name, comp in c.components.items():
            before = (snap.components or {}).get(name, {}).get("score")
            comp.previous = before
            comp.arrow = _arrow(comp.score, before)
    cards.sort(key=lambda c: (c.team_code or "~", c.rank_team or 10**9, c.employee_no))
    return cards


def previous_snapshots(s: Session, branch_id: int, month: date) -> dict[int, ScoreSnapshot]:
    """The month's frozen snapshots of the branch's employees, by employee id."""
    rows = s.execute(
        select(ScoreSnapshot).where(
            ScoreSnapshot.month == month,
            ScoreSnapshot.employee_id.in_(
                select(Employee.id).where(Employee.branch_id == branch_id)
            ),
        )
    ).scalars()
    return {r.employee_id: r for r in rows}
