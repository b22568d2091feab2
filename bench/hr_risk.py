"""Bench: scoring a large branch and replaying a year (prints its figures; not a test).

    .venv/bin/python bench/hr_risk.py [N_COLLECTORS] [DATABASE_URL]

Builds N collectors (default 3000) with a year of repayments, leave and complaints in a
scratch SQLite file (or the given database, which it empties first), then times one live
scoring of the branch and a 12-month backtest replay.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure
from coaching.calendar import all_branches
from coaching.risk.backtest import metrics, replay
from coaching.risk.config import load_config
from coaching.risk.score import assess
from db.models import (
    Base,
    Branch,
    Case,
    Complaint,
    Employee,
    EmployeeRole,
    Leave,
    Repayment,
    Team,
)
from db.session import Database


def build(db: Database, n: int, today: date) -> None:
    rng = random.Random(1)
    with db.session() as s:
        b = Branch(code="SH", name="SH", timezone="Asia/Shanghai")
        s.add(b)
        s.flush()
        teams = [Team(code=f"T{i}", name=f"T{i}", branch_id=b.id) for i in range(n // 10)]
        s.add_all(teams)
        s.flush()
        emps = []
        for i in range(n):
            left = rng.random() < 0.35
            e = Employee(
                employee_no=f"C{i:06d}",
                name=f"c{i}",
                branch_id=b.id,
                team_id=teams[i % len(teams)].id,
                hire_date=today - timedelta(days=rng.randint(10, 1500)),
                status="left" if left else "active",
                left_on=today - timedelta(days=rng.randint(1, 360)) if left else None,
            )
            e.role_rows = [EmployeeRole(role="collector")]
            emps.append(e)
        s.add_all(emps)
        s.flush()
        s.execute(
            insert(Case),
            [
                dict(
                    case_ref=f"K{e.id}",
                    collector_id=e.id,
                    debtor_key="k" * 64,
                    amount_owed=Decimal(10000),
                    days_overdue=30,
                    bucket="M1",
                    assigned_on=e.hire_date,
                )
                for e in emps
            ],
        )
        case_of = dict(s.execute(select(Case.collector_id, Case.id)).all())
        pays, leaves, comps = [], [], []
        for e in emps:
            end = e.left_on or today
            d = max(e.hire_date, today - timedelta(days=400))
            while d <= end:
                pays.append(
                    dict(
                        ref=f"P{len(pays)}",
                        case_id=case_of[e.id],
                        collector_id=e.id,
                        amount=Decimal(rng.randint(500, 5000)),
                        paid_at=datetime(d.year, d.month, d.day, 3, tzinfo=UTC),
                    )
                )
                d += timedelta(days=rng.randint(3, 9))
            for _ in range(rng.randint(0, 5)):
                st = today - timedelta(days=rng.randint(0, 400))
                leaves.append(dict(employee_id=e.id, start_date=st, end_date=st, kind=f"a{st}"))
            for _ in range(rng.randint(0, 3)):
                at = today - timedelta(days=rng.randint(0, 400))
                comps.append(
                    dict(
                        ref=f"M{len(comps)}",
                        collector_id=e.id,
                        received_at=datetime(at.year, at.month, at.day, 6, tzinfo=UTC),
                    )
                )
        s.execute(insert(Repayment), pays)
        uniq = {(x["employee_id"], x["start_date"], x["kind"]): x for x in leaves}
        s.execute(insert(Leave), list(uniq.values()))
        s.execute(insert(Complaint), comps)
        print(
            f"built {n} collectors, {len(pays)} repayments, "
            f"{len(uniq)} leave, {len(comps)} complaints"
        )


def measure(n: int, url: str) -> dict[str, float]:
    """Build the branch in `url` (emptied first), then time live scoring and the replay."""
    db = Database(url)
    with db.engine.begin() as conn:
        Base.metadata.drop_all(conn)
    db.create_all()
    today = date(2026, 3, 2)
    t0 = time.perf_counter()
    build(db, n, today)
    print(f"build: {time.perf_counter() - t0:.1f} s")
    cfg = load_config()
    with db.session() as s:
        [b] = all_branches(s)
        t0 = time.perf_counter()
        run = assess(s, b, today, cfg)
        live = time.perf_counter() - t0
        people = max(1, len(run.assessments))
        print(
            f"live scoring: {len(run.assessments)} people in {live:.2f} s "
            f"({1000 * live / people:.2f} ms/person)"
        )
        t0 = time.perf_counter()
        rep = replay(s, cfg, today, months=12)
        dt = time.perf_counter() - t0
        m = metrics(rep.samples)
        print(
            f"backtest replay: {len(rep.month_ends)} month-ends, {m.n} samples in {dt:.1f} s "
            f"(AUC {m.auc:.3f} on random data — ~0.5 expected)"
        )
    db.dispose()
    return {"live_s": live, "per_person_ms": 1000 * live / people, "replay_s": dt}


def figures(quick: bool) -> list[Figure]:
    """For bench/run_all.py: 1,000 collectors quick, 3,000 full; PostgreSQL when
    COACHBOT_BENCH_DATABASE_URL is set (wiped). No target is stated (docs/hr.md): info."""
    from bench.figure import bench_database_url, info

    n = 1000 if quick else 3000
    url = bench_database_url() or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    r = measure(n, url)
    return [
        info(f"HR risk live scoring, {n} collectors", r["live_s"], "s"),
        info("HR risk live scoring per person", r["per_person_ms"], "ms"),
        info(f"HR risk 12-month backtest replay, {n} collectors", r["replay_s"], "s"),
    ]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    measure(n, url)


if __name__ == "__main__":
    main()
