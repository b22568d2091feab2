"""A small hand-computable world for the scoring tests (numbers worked out in
tests/test_scoring_model.py)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from coaching.scoring.config import ScoringConfig, load_config
from db.models import AssessmentResult, Call, Case, Complaint, QaFinding, Repayment
from db.models.work import bucket_for
from tests import factories as f

# Round numbers so every expected value can be worked out by hand.
TEST_CONFIG = """
version: test-2
bucket_weights: {M1: 1.0, M2: 1.0, M3: 1.0, M4: 1.0, M5: 1.0, M6+: 1.4}
compliance: {minor_deduction: 10, major_veto: true}
components:
  recovery: {target: 0.5, zero_at: 0}
  complaints: {target: 0.01, zero_at: 0.05, per: connected_call}
  satisfaction: {target: 0.0, zero_at: 0.04, per: connected_call}
  compliance: {}
  skills: {target: 100, zero_at: 0}
  skill_growth: {target: 10, zero_at: -10, baseline_months: 3}
  ptp_kept: {target: 0.8, zero_at: 0.4}
  cost_per_case: {target: 50, zero_at: 250}
profiles:
  A: {weights: {recovery: 40, complaints: 25, compliance: 35}}
  B: {weights: {compliance: 30, recovery: 40, satisfaction: 20, skills: 10}}
promotion:
  account_manager: {months: 3, threshold: 90}
  senior: {months: 12, threshold: 75, drill_scenarios: [instalment_m6]}
"""

_n = itertools.count(1)


def write_config(tmp: Path) -> Path:
    p = tmp / "scoring-test.yaml"
    p.write_text(TEST_CONFIG, encoding="utf-8")
    return p


def config(tmp: Path) -> ScoringConfig:
    return load_config(write_config(tmp))


def sh(day: int, hour: int = 10, month: int = 3) -> datetime:
    """A Shanghai-local time in 2026 (UTC+8), as UTC."""
    return datetime(2026, month, day, hour, tzinfo=UTC) - _offset(8)


def jk(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC) - _offset(7)


def _offset(h: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(hours=h)


def case(s: Session, emp, amount: int, days_overdue: int, assigned: date) -> Case:  # type: ignore[no-untyped-def]
    k = Case(
        case_ref=f"K{next(_n)}",
        collector_id=emp.id,
        debtor_key=f"dk{next(_n)}",
        amount_owed=Decimal(amount),
        days_overdue=days_overdue,
        bucket=bucket_for(days_overdue),
        assigned_on=assigned,
    )
    s.add(k)
    s.flush()
    return k


def pay(s: Session, k: Case, amount: int, at: datetime) -> None:
    s.add(
        Repayment(
            ref=f"P{next(_n)}",
            case_id=k.id,
            collector_id=k.collector_id,
            amount=Decimal(amount),
            paid_at=at,
        )
    )


def calls(s: Session, k: Case, n: int, connected: int, at: datetime) -> None:
    rows = [
        dict(
            call_ref=f"CL{next(_n)}",
            case_id=k.id,
            collector_id=k.collector_id,
            debtor_key=k.debtor_key,
            started_at=at,
            duration_s=60,
            outcome="rpc" if i < connected else "no_answer",
        )
        for i in range(n)
    ]
    s.execute(insert(Call), rows)


def complaint(s: Session, emp, at: datetime) -> None:  # type: ignore[no-untyped-def]
    s.add(Complaint(ref=f"CP{next(_n)}", collector_id=emp.id, received_at=at))


def finding(
    s: Session,
    emp,
    severity: str,
    at: datetime,
    rule: str = "script_deviation",  # type: ignore[no-untyped-def]
    note: str = "",
) -> None:
    s.add(
        QaFinding(
            finding_key=f"QA{next(_n)}",
            collector_id=emp.id,
            rule=rule,
            severity=severity,
            note=note,
            found_at=at,
        )
    )


def assessment(s: Session, emp, score: float, at: datetime) -> None:  # type: ignore[no-untyped-def]
    s.add(
        AssessmentResult(
            employee_id=emp.id,
            source="quiz",
            ref=f"attempt:{next(_n)}",
            competency="compliance",
            score=score,
            passed=score >= 80,
            at=at,
        )
    )


@dataclass
class World:
    ids: dict[str, int]
    team_ids: dict[str, int]


def profile_a_collector(s: Session, emp, tzf=sh) -> None:  # type: ignore[no-untyped-def]
    """The standard example: recovery 5,800 / 24,000 weighted; 1 complaint / 50 connected;
    2 minor findings. A repayment one minute before the month (branch-local) must not count."""
    k1 = case(s, emp, 10_000, 20, date(2026, 2, 10))  # M1
    k6 = case(s, emp, 10_000, 200, date(2026, 2, 10))  # M6+ → weight 1.4
    pay(s, k1, 3_000, tzf(5))
    pay(s, k6, 2_000, tzf(6))
    pay(s, k1, 5_000, tzf(28, 23, month=2).replace(minute=59))  # Feb 28 23:59 local
    calls(s, k1, 100, 50, tzf(3))
    complaint(s, emp, tzf(4))
    finding(s, emp, "minor", tzf(7))
    finding(s, emp, "minor", tzf(8))


def seed(ctx, bind: bool = True) -> World:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    with ctx.db.session() as s:
        b = f.branch(s, "SH", score_profile="A")
        t1 = f.team(s, b, "SH-1")
        t2 = f.team(s, b, "SH-2")
        lead = f.employee(s, "L0001", b, "team_lead", "collector", team=t1, name="组长甲")
        t1.lead_id = lead.id
        a1 = f.employee(s, "C0001", b, "collector", team=t1, name="张三")
        a2 = f.employee(s, "C0002", b, "collector", team=t1, name="李四")
        a3 = f.employee(s, "C0003", b, "collector", team=t1, name="王五")
        a4 = f.employee(
            s, "C0004", b, "collector", team=t1, name="赵六", hire_date=date(2026, 3, 16)
        )
        a5 = f.employee(s, "C0005", b, "collector", team=t1, name="钱七")
        b1 = f.employee(s, "C0006", b, "collector", team=t2, name="孙八")
        hr = f.employee(s, "H0001", b, "hr", name="人事")
        # Hired after the month: never scored for March.
        f.employee(s, "C0009", b, "collector", team=t1, hire_date=date(2026, 4, 2))

        profile_a_collector(s, a1)
        # A2: the same activity plus a major finding → vetoed.
        profile_a_collector(s, a2)
        finding(s, a2, "major", sh(9), rule="private_collection", note="私下收款")
        # A3: only a case closed before March (recovery n/a), 10 connected calls on it.
        k3 = case(s, a3, 5_000, 10, date(2026, 2, 1))
        k3.closed_on = date(2026, 2, 20)
        calls(s, k3, 10, 10, sh(3))
        # A4 hired 2026-03-16: own data only.
        k4 = case(s, a4, 20_000, 15, date(2026, 3, 16))
        pay(s, k4, 10_000, sh(20))
        calls(s, k4, 20, 20, sh(17))
        # B1 in team 2: a perfect month.
        kb = case(s, b1, 10_000, 15, date(2026, 3, 2))
        pay(s, kb, 6_000, sh(10))
        calls(s, kb, 40, 30, sh(10))
        for e, tg in [(a1, 1001), (a2, 1002), (lead, 3001), (hr, 2001), (b1, 1006)]:
            if bind:
                f.bind(s, e, tg, now)
        f.hr_chat(s, -100500, b, now)
        ids = {e.employee_no: e.id for e in (a1, a2, a3, a4, a5, b1, lead, hr)}
        return World(ids, {"SH-1": t1.id, "SH-2": t2.id})


def seed_jkt(ctx) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        b = f.branch(s, "JKT", tz="Asia/Jakarta", score_profile="B", currency="IDR")
        t = f.team(s, b, "JKT-1")
        j1 = f.employee(s, "J0001", b, "collector", team=t)
        j2 = f.employee(s, "J0002", b, "collector", team=t)
        for e in (j1, j2):
            profile_a_collector(s, e, jk)
        assessment(s, j1, 80, jk(11))
        assessment(s, j1, 90, jk(12))
        assessment(s, j2, 95, jk(28, 10, month=2))  # February: not in March
        return {"J0001": j1.id, "J0002": j2.id}
