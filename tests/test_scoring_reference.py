"""compute_branch against an independent computation of docs/scoring.md on a seeded random
month: every collector's components, total, veto, ranks and team averages.

The reference reads the rows one by one through the ORM and does its arithmetic in exact
fractions, following the docs' formulas and nothing of coaching/scoring (no SQL aggregate, no
integer cents, no Decimal). Values must agree to 1e-9; displayed values (half-up, one place
for scores, four for raw values) exactly, unless the exact value lies within 1e-9 of a
rounding boundary (where 28-digit Decimal division may legitimately land on the other side).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from coaching.calendar import all_branches
from coaching.scoring.config import LOWER_IS_BETTER, parse_config
from coaching.scoring.engine import Scorecard, compute_branch
from db.models import (
    AssessmentResult,
    Call,
    Case,
    CollectorCost,
    Complaint,
    Employee,
    PromiseToPay,
    QaFinding,
    Repayment,
)
from db.models.work import BUCKETS
from tests import factories as f

MARCH = date(2026, 3, 1)
TZ = "Asia/Shanghai"
CONFIG = """
version: reference-1
bucket_weights: {M1: 1.0, M2: 1.0, M3: 1.0, M4: 1.0, M5: 1.0, M6+: 1.4}
compliance: {minor_deduction: 10, major_veto: true}
components:
  recovery:
    target: 0.85
    zero_at: 0.30
    buckets:
      M1: {target: 0.85, zero_at: 0.30}
      M2: {target: 0.60, zero_at: 0.15}
      M3: {target: 0.45, zero_at: 0.10}
      M4: {target: 0.35, zero_at: 0.05}
      M5: {target: 0.25, zero_at: 0.03}
      M6+: {target: 0.15, zero_at: 0.00}
  complaints: {target: 0.02, zero_at: 0.12, per: case}
  satisfaction: {target: 0.01, zero_at: 0.15, per: connected_call}
  compliance: {}
  skills: {target: 90, zero_at: 0}
  skill_growth: {target: 5, zero_at: -15, baseline_months: 3}
  ptp_kept: {target: 0.80, zero_at: 0.40}
  cost_per_case: {target: 50, zero_at: 200}
profiles:
  ALL:
    weights: {recovery: 30, complaints: 15, satisfaction: 5, compliance: 20, skills: 10,
              skill_growth: 5, ptp_kept: 10, cost_per_case: 5}
"""
CFG = parse_config(CONFIG)
TOL = Fraction(1, 10**9)


def _utc(d: date) -> datetime:
    return datetime.combine(d, time(0), ZoneInfo(TZ)).astimezone(UTC)


START, END = _utc(MARCH), _utc(date(2026, 4, 1))
BASE_START = _utc(date(2025, 12, 1))


def _world(ctx, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    """Two teams and a team-less collector, a lead with and one without cases, a mid-month
    hire, a leaver before the month, someone idle; activity around both month edges."""

    def when(s_lo: datetime = START - timedelta(days=2), days: int = 34) -> datetime:
        return s_lo + timedelta(minutes=rng.randrange(days * 24 * 60))

    def build(s):  # type: ignore[no-untyped-def]
        b = f.branch(s, "RF", tz=TZ, score_profile="ALL")
        teams = [f.team(s, b, "RF-1"), f.team(s, b, "RF-2")]
        people = []
        for i in range(16):
            roles = ("collector", "team_lead") if i in (0, 1) else ("collector",)
            kw: dict[str, object] = {}
            if i == 2:
                kw["hire_date"] = date(2026, 3, 16)
            if i == 3:
                kw["left_on"], kw["status"] = date(2026, 2, 20), "left"
            team = None if i == 15 else teams[i % 2]
            people.append(f.employee(s, f"RF{i:02d}", b, *roles, team=team, **kw))
        n = 0
        for e in people:
            if e.employee_no in ("RF01", "RF04"):  # a lead without cases; an idle collector
                continue
            cases = []
            for _ in range(rng.randint(2, 7)):
                n += 1
                closed = date(2026, 2, 25) if rng.random() < 0.1 else None
                assigned = date(2026, rng.choice((1, 2, 3, 4)), rng.randint(1, 28))
                c = Case(
                    case_ref=f"RK{n}",
                    collector_id=e.id,
                    debtor_key=f"d{n}",
                    amount_owed=Decimal(rng.randint(10_000, 5_000_000)) / 100,
                    days_overdue=30,
                    bucket=rng.choice(BUCKETS),
                    assigned_on=assigned,
                    closed_on=closed,
                )
                s.add(c)
                cases.append(c)
            s.flush()
            for _ in range(rng.randint(0, 25)):
                c = rng.choice(cases)
                s.add(
                    Call(
                        call_ref=f"RC{n}-{rng.random()}",
                        case_id=c.id,
                        collector_id=e.id,
                        debtor_key=c.debtor_key,
                        started_at=when(),
                        duration_s=60,
                        outcome=rng.choice(("no_answer", "contacted", "rpc", "promise")),
                    )
                )
            for k in range(rng.randint(0, 6)):
                c = rng.choice(cases)
                amount = Decimal(rng.randint(100, 3_000_000)) / 100
                s.add(
                    Repayment(
                        ref=f"RP{n}-{k}",
                        case_id=c.id,
                        collector_id=e.id,
                        amount=amount,
                        paid_at=when(),
                    )
                )
            for k in range(rng.randint(0, 2)):
                s.add(Complaint(ref=f"RM{n}-{k}", collector_id=e.id, received_at=when()))
            for k in range(rng.randint(0, 3)):
                major = e.employee_no == "RF07" and k == 0
                s.add(
                    QaFinding(
                        finding_key=f"RQ{n}-{k}",
                        collector_id=e.id,
                        rule="script_deviation",
                        severity="major" if major else "minor",
                        note="n",
                        found_at=when(),
                    )
                )
            for k in range(rng.randint(0, 5)):
                s.add(
                    AssessmentResult(
                        employee_id=e.id,
                        source="quiz",
                        ref=f"RA{n}-{k}",
                        score=rng.uniform(30, 100),
                        passed=True,
                        at=when(datetime(2025, 11, 20, tzinfo=UTC), 135),
                    )
                )
            for _ in range(rng.randint(0, 4)):
                c = rng.choice(cases)
                s.add(
                    PromiseToPay(
                        case_id=c.id,
                        collector_id=e.id,
                        amount=Decimal(500),
                        promised_on=date(2026, 2, 20),
                        due_date=date(2026, rng.choice((2, 3, 3, 3, 4)), rng.randint(1, 28)),
                        status=rng.choice(("kept", "broken", "open")),
                    )
                )
            if rng.random() < 0.7:
                cost = Decimal(rng.randint(1_000, 900_000)) / 100
                s.add(CollectorCost(employee_id=e.id, month=MARCH, amount=cost))

    ctx.call(build)


@dataclass
class Ref:
    eid: int
    team_id: int | None
    lead: bool
    cases: int = 0
    raw: dict[str, Fraction | None] = field(default_factory=dict)
    score: dict[str, Fraction | None] = field(default_factory=dict)
    total: Fraction | None = None
    vetoed: bool = False


def _band(name: str, raw: Fraction, target: Fraction, zero_at: Fraction) -> Fraction:
    if name in LOWER_IS_BETTER:
        v = (zero_at - raw) / (zero_at - target)
    else:
        v = (raw - zero_at) / (target - zero_at)
    return min(Fraction(1), max(Fraction(0), v)) * 100


def _fr(v: object) -> Fraction:
    return Fraction(str(v)) if isinstance(v, Decimal) else Fraction(v)  # type: ignore[arg-type]


def _reference(s, pace: tuple[int, int] | None) -> dict[int, Ref]:  # type: ignore[no-untyped-def]
    """docs/scoring.md, row by row, in fractions."""
    first, last = MARCH, date(2026, 3, 31)
    in_month = lambda t: START <= t < END  # noqa: E731
    weights = {b: _fr(CFG.bucket_weight(b)) for b in BUCKETS}
    out: dict[int, Ref] = {}
    for e in s.execute(select(Employee)).scalars():
        roles = {r.role for r in e.role_rows}
        if "collector" not in roles or e.hire_date > last or (e.left_on and e.left_on < first):
            continue
        out[e.id] = Ref(e.id, e.team_id, "team_lead" in roles)
    cases = {c.id: c for c in s.execute(select(Case)).scalars()}
    A: dict[int, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    R: dict[int, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    for c in cases.values():
        open_in_month = c.assigned_on <= last and (c.closed_on is None or c.closed_on >= first)
        if c.collector_id in out and open_in_month:
            A[c.collector_id][c.bucket] += _fr(c.amount_owed)
            out[c.collector_id].cases += 1
    for r in s.execute(select(Repayment)).scalars():
        if r.collector_id in out and in_month(r.paid_at):
            R[r.collector_id][cases[r.case_id].bucket] += _fr(r.amount)
    calls: dict[int, int] = defaultdict(int)
    connected: dict[int, int] = defaultdict(int)
    handled: dict[int, set[int]] = defaultdict(set)
    for c in s.execute(select(Call)).scalars():
        if in_month(c.started_at):
            calls[c.collector_id] += 1
            connected[c.collector_id] += c.outcome != "no_answer"
            handled[c.collector_id].add(c.case_id)
    complaints: dict[int, int] = defaultdict(int)
    for c in s.execute(select(Complaint)).scalars():
        complaints[c.collector_id] += in_month(c.received_at)
    minors: dict[int, int] = defaultdict(int)
    majors: dict[int, int] = defaultdict(int)
    for q in s.execute(select(QaFinding)).scalars():
        if in_month(q.found_at):
            (majors if q.severity == "major" else minors)[q.collector_id] += 1
    now: dict[int, list[Fraction]] = defaultdict(list)
    before: dict[int, list[Fraction]] = defaultdict(list)
    for a in s.execute(select(AssessmentResult)).scalars():
        if in_month(a.at):
            now[a.employee_id].append(Fraction(a.score))
        elif BASE_START <= a.at < START:
            before[a.employee_id].append(Fraction(a.score))
    kept: dict[int, int] = defaultdict(int)
    due: dict[int, int] = defaultdict(int)
    for p in s.execute(select(PromiseToPay)).scalars():
        if first <= p.due_date <= last and p.status in ("kept", "broken"):
            due[p.collector_id] += 1
            kept[p.collector_id] += p.status == "kept"
    cost: dict[int, Fraction] = {}
    for c in s.execute(select(CollectorCost)).scalars():
        if c.month == first:
            cost[c.employee_id] = cost.get(c.employee_id, Fraction(0)) + _fr(c.amount)

    rec_spec = CFG.component("recovery", "RF")
    share = Fraction(pace[0], pace[1]) if pace else Fraction(1)
    for eid, ref in out.items():
        raw = ref.raw
        assigned = sum(A[eid].values(), Fraction(0))
        credited = sum(
            (min(R[eid][b] * weights[b], max(A[eid][b], R[eid][b])) for b in BUCKETS), Fraction(0)
        )
        active = calls[eid] or any(R[eid].values()) or complaints[eid] or minors[eid]
        active = active or majors[eid] or now[eid]
        bands: dict[str, tuple[Fraction, Fraction]] = {}
        if assigned > 0 and active:
            raw["recovery"] = credited / assigned
            t = sum((A[eid][b] * _fr(rec_spec.buckets[b].target) for b in BUCKETS), Fraction(0))
            z = sum((A[eid][b] * _fr(rec_spec.buckets[b].zero_at) for b in BUCKETS), Fraction(0))
            bands["recovery"] = (t / assigned * share, z / assigned * share)
        else:
            raw["recovery"] = None
        hw = sum((weights[cases[c].bucket] for c in handled[eid]), Fraction(0))
        n_handled = len(handled[eid])
        for name in ("complaints", "satisfaction"):
            per = CFG.component(name, "RF").per
            denom = Fraction(connected[eid]) if per == "connected_call" else hw
            raw[name] = Fraction(complaints[eid]) / denom if denom else None
        raw["compliance"] = Fraction(minors[eid]) if calls[eid] or minors[eid] else None
        avg_now = sum(now[eid]) / len(now[eid]) if now[eid] else None
        avg_before = sum(before[eid]) / len(before[eid]) if before[eid] else None
        raw["skills"] = avg_now
        growth = avg_now - avg_before if avg_now is not None and avg_before is not None else None
        raw["skill_growth"] = growth
        raw["ptp_kept"] = Fraction(kept[eid], due[eid]) if due[eid] else None
        c = cost.get(eid)
        raw["cost_per_case"] = c / n_handled if c is not None and n_handled else None
        wsum = acc = Fraction(0)
        for name, w in CFG.profile("ALL").weights.items():
            v = raw[name]
            if v is None:
                ref.score[name] = None
                continue
            if name == "compliance":
                sc = max(Fraction(0), 100 - 10 * v)
            else:
                spec = CFG.component(name, "RF")
                t, z = bands.get(name) or (_fr(spec.target), _fr(spec.zero_at))
                sc = _band(name, v, t, z)
            ref.score[name] = sc
            wsum += _fr(w)
            acc += _fr(w) * sc
        ref.total = acc / wsum if wsum else None
        if majors[eid]:
            ref.vetoed, ref.total = True, Fraction(0)
    return out


def _shown(v: Fraction, places: int) -> Fraction:
    """Half-up at `places` decimals (values here are >= 0 or signed growth: away from 0)."""
    q = Fraction(10**places)
    sign = -1 if v < 0 else 1
    return sign * Fraction(int(abs(v) * q + Fraction(1, 2))) / q


def _near_boundary(v: Fraction, places: int) -> bool:
    q = abs(v) * 10**places
    return abs(q - int(q) - Fraction(1, 2)) * 1 < TOL * 10**places


def _same(mine: float | None, exact: Decimal | None, ref: Fraction | None, places: int) -> None:
    assert (mine is None) == (ref is None), (mine, ref)
    if ref is None:
        return
    assert exact is not None and abs(_fr(exact) - ref) < TOL, (exact, float(ref))
    if not _near_boundary(ref, places):
        assert Fraction(str(mine)) == _shown(ref, places), (mine, float(ref))


def _ranks(refs: list[Ref], totals: dict[int, float]) -> dict[int, int]:
    scored = sorted((r for r in refs if r.eid in totals), key=lambda r: -totals[r.eid])
    out: dict[int, int] = {}
    for i, r in enumerate(scored, 1):
        prev = scored[i - 2] if i > 1 else None
        out[r.eid] = out[prev.eid] if prev and totals[prev.eid] == totals[r.eid] else i
    return out


@pytest.mark.parametrize("as_of", [None, date(2026, 3, 12)])
def test_compute_branch_matches_an_independent_computation(ctx, as_of: date | None) -> None:  # type: ignore[no-untyped-def]
    _world(ctx, random.Random(22))
    pace = (as_of.day, 31) if as_of else None
    with ctx.db.session() as s:
        b = next(b for b in all_branches(s) if b.code == "RF")
        cards: dict[int, Scorecard] = {
            c.employee_id: c for c in compute_branch(s, CFG, b, MARCH, as_of)
        }
        refs = _reference(s, pace)
    assert cards.keys() == refs.keys()
    assert len(cards) == 15  # the leaver is not scored
    for eid, ref in refs.items():
        card = cards[eid]
        for name, comp in card.components.items():
            _same(comp.raw, comp.raw_exact, ref.raw[name], 4)
            _same(comp.score, comp.exact, ref.score[name], 1)
        assert card.vetoed == ref.vetoed
        _same(card.total, card.total_exact, ref.total, 1)
    # Ranks: competition ranking on displayed totals; leads only with cases.
    rankable = [r for r in refs.values() if r.total is not None and (r.cases or not r.lead)]
    totals = {r.eid: cards[r.eid].total for r in rankable}
    assert totals and all(v is not None for v in totals.values())
    branch_ranks = _ranks(rankable, totals)  # type: ignore[arg-type]
    for eid, card in cards.items():
        assert card.rank_branch == branch_ranks.get(eid), card.employee_no
    by_team: dict[int, list[Ref]] = defaultdict(list)
    for r in rankable:
        if r.team_id is not None:
            by_team[r.team_id].append(r)
    assert len(by_team) == 2
    for members in by_team.values():
        ranks = _ranks(members, totals)  # type: ignore[arg-type]
        mean = sum((m.total for m in members), Fraction(0)) / len(members)  # type: ignore[misc]
        for m in members:
            card = cards[m.eid]
            assert card.rank_team == ranks[m.eid] and card.team_size == len(members)
            if not _near_boundary(mean, 1):
                assert Fraction(str(card.team_average_total)) == _shown(mean, 1)
