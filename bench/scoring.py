"""Benchmark: every scorecard of a big branch, on PostgreSQL and on SQLite.

    .venv/bin/python bench/scoring.py                     # 5,000 collectors, 2M calls, …
    .venv/bin/python bench/scoring.py --calls 200000 --skip-sqlite

Generates one month (March 2026) of synthetic activity for one branch — bulk-loaded (COPY on
PostgreSQL, executemany on SQLite) — then times `compute_branch` (the code /score, /team, the
CLI and the snapshot job use) against ONE hand-written aggregate SQL query over the same tables
that only fetches the per-collector sums. Prints seconds and the ratio; targets: ≤ 2 s on
PostgreSQL and ≤ 1.5 × the hand-written query (issue #22: ≤ 1.2 ×). The scorecard time is also
split into its SQL statement (`raw_rows`, timed on its own) and the rest (Python: scoring,
ranks, averages, arrows), so a regression shows on which side it is.

The PostgreSQL database is wiped (tables dropped and recreated): point --pg at a scratch one.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from coaching.calendar import all_branches
from coaching.scoring.config import get_config
from coaching.scoring.engine import compute_branch, month_bounds
from coaching.scoring.queries import raw_rows
from db.models import Base
from db.models.work import BUCKETS
from db.session import Database

MONTH = date(2026, 3, 1)
TZ = "Asia/Shanghai"
CASES_PER_COLLECTOR = 20

HAND_SQL = """
WITH emp AS (
  SELECT e.id FROM employees e
  WHERE e.branch_id = :branch AND e.hire_date <= :last
    AND (e.left_on IS NULL OR e.left_on >= :first)
    AND e.id IN (SELECT employee_id FROM employee_roles WHERE role = 'collector')
), asg AS (
  SELECT collector_id AS eid,
         SUM(amount_owed * CASE WHEN bucket = 'M6+' THEN 1.4 ELSE 1.0 END) AS assigned_w
  FROM cases WHERE assigned_on <= :last AND (closed_on IS NULL OR closed_on >= :first)
  GROUP BY collector_id
), pay AS (
  SELECT r.collector_id AS eid,
         SUM(r.amount * CASE WHEN c.bucket = 'M6+' THEN 1.4 ELSE 1.0 END) AS repaid_w
  FROM repayments r JOIN cases c ON c.id = r.case_id
  WHERE r.paid_at >= :start AND r.paid_at < :end GROUP BY r.collector_id
), cl AS (
  SELECT collector_id AS eid, COUNT(*) AS calls,
         SUM(CASE WHEN outcome <> 'no_answer' THEN 1 ELSE 0 END) AS connected
  FROM calls WHERE started_at >= :start AND started_at < :end GROUP BY collector_id
), cmp AS (
  SELECT collector_id AS eid, COUNT(*) AS complaints FROM complaints
  WHERE received_at >= :start AND received_at < :end GROUP BY collector_id
), qa AS (
  SELECT collector_id AS eid,
         SUM(CASE WHEN severity = 'minor' THEN 1 ELSE 0 END) AS minors,
         SUM(CASE WHEN severity = 'major' THEN 1 ELSE 0 END) AS majors
  FROM qa_findings WHERE found_at >= :start AND found_at < :end GROUP BY collector_id
), sk AS (
  SELECT employee_id AS eid, AVG(score) AS skills, COUNT(*) AS n FROM assessment_results
  WHERE at >= :start AND at < :end GROUP BY employee_id
)
SELECT emp.id, asg.assigned_w, pay.repaid_w, cl.calls, cl.connected, cmp.complaints,
       qa.minors, qa.majors, sk.skills, sk.n
FROM emp
LEFT JOIN asg ON asg.eid = emp.id LEFT JOIN pay ON pay.eid = emp.id
LEFT JOIN cl ON cl.eid = emp.id LEFT JOIN cmp ON cmp.eid = emp.id
LEFT JOIN qa ON qa.eid = emp.id LEFT JOIN sk ON sk.eid = emp.id
"""


def _ts(dt: datetime) -> str:
    # SQLAlchemy's SQLite storage format; PostgreSQL's COPY reads it too.
    return dt.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(args: argparse.Namespace) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    rng = random.Random(42)
    n = args.collectors
    start, end = month_bounds(MONTH, TZ)
    span = int((end - start).total_seconds())

    def when() -> str:
        return _ts(start + timedelta(seconds=rng.randrange(span)))

    teams = max(1, n // 100)
    data: dict[str, list[tuple]] = {  # type: ignore[type-arg]
        "branches": [(1, "SH", "Shanghai", TZ, "zh_CN", "A", "default", "1,2,3,4,5")],
        "teams": [(t + 1, f"T{t + 1:03d}", f"team {t + 1}", 1) for t in range(teams)],
        "employees": [
            (i + 1, f"C{i + 1:05d}", f"collector {i + 1}", 1, i % teams + 1, "2024-01-01", "active")
            for i in range(n)
        ],
        "employee_roles": [(i + 1, i + 1, "collector") for i in range(n)],
    }
    ncases = n * CASES_PER_COLLECTOR
    buckets = list(BUCKETS)
    data["cases"] = [
        (
            k + 1,
            f"K{k + 1}",
            k // CASES_PER_COLLECTOR + 1,
            f"dk{k}",
            f"{rng.randint(1000, 200000)}.00",
            30,
            rng.choice(buckets),
            "2026-02-01",
        )
        for k in range(ncases)
    ]

    def case_of() -> tuple[int, int]:
        k = rng.randrange(ncases)
        return k + 1, k // CASES_PER_COLLECTOR + 1

    outcomes = ["no_answer", "no_answer", "contacted", "rpc", "promise"]
    calls = []
    for i in range(args.calls):
        k, c = case_of()
        calls.append((i + 1, f"CL{i + 1}", k, c, f"dk{k - 1}", when(), 60, rng.choice(outcomes)))
    data["calls"] = calls
    pays = []
    for i in range(args.repayments):
        k, c = case_of()
        pays.append((i + 1, f"P{i + 1}", k, c, f"{rng.randint(100, 20000)}.00", when()))
    data["repayments"] = pays
    data["complaints"] = [
        (i + 1, f"CP{i + 1}", rng.randrange(n) + 1, when()) for i in range(args.complaints)
    ]
    data["qa_findings"] = [
        (
            i + 1,
            f"QA{i + 1}",
            rng.randrange(n) + 1,
            "script_deviation",
            "major" if rng.random() < 0.02 else "minor",
            when(),
        )
        for i in range(args.complaints // 4)
    ]
    data["assessment_results"] = [
        (i + 1, rng.randrange(n) + 1, "quiz", f"a{i}", rng.uniform(40, 100), True, when())
        for i in range(n * 2)
    ]
    return data


COLUMNS = {
    "branches": "id, code, name, timezone, locale, score_profile, rule_profile, workdays",
    "teams": "id, code, name, branch_id",
    "employees": "id, employee_no, name, branch_id, team_id, hire_date, status",
    "employee_roles": "id, employee_id, role",
    "cases": "id, case_ref, collector_id, debtor_key, amount_owed, days_overdue, bucket, "
    "assigned_on",
    "calls": "id, call_ref, case_id, collector_id, debtor_key, started_at, duration_s, outcome",
    "repayments": "id, ref, case_id, collector_id, amount, paid_at",
    "complaints": "id, ref, collector_id, received_at",
    "qa_findings": "id, finding_key, collector_id, rule, severity, found_at",
    "assessment_results": "id, employee_id, source, ref, score, passed, at",
}
# Columns with server-side defaults missing in the model's DDL (ORM-side defaults only).
EXTRA = {
    "cases": ("product, is_instalment, is_target, region", ("", False, False, "")),
    "complaints": ("category", ("",)),
    "qa_findings": ("note, source", ("", "qa")),
    "assessment_results": ("competency, mandatory", ("", False)),
}


def _rows(table: str, rows: list[tuple]) -> tuple[str, list[tuple]]:  # type: ignore[type-arg]
    cols = COLUMNS[table]
    if table in EXTRA:
        extra_cols, extra_vals = EXTRA[table]
        return f"{cols}, {extra_cols}", [r + extra_vals for r in rows]
    return cols, rows


def load_pg(db: Database, data: dict[str, list[tuple]]) -> None:  # type: ignore[type-arg]
    """COPY with secondary indexes and constraints dropped, then rebuilt (as a bulk load
    would be done in production)."""
    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            cur.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype IN ('u', 'f') "
                "AND connamespace = 'public'::regnamespace ORDER BY contype DESC"
            )
            constraints = cur.fetchall()
            for table, name, _ in reversed(constraints):
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
            indexes = cur.fetchall()
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            for table, rows in data.items():
                cols, rows = _rows(table, rows)
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                    buf = io.StringIO()
                    for i, r in enumerate(rows, 1):
                        buf.write("\t".join(_pg(v) for v in r))
                        buf.write("\n")
                        if i % 200_000 == 0:
                            cp.write(buf.getvalue())
                            buf = io.StringIO()
                    cp.write(buf.getvalue())
            for _, ddl in indexes:
                cur.execute(ddl)
            for table, name, ddl in constraints:
                cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}')
        conn.commit()
        with conn.cursor() as cur:
            cur.execute("ANALYZE")
        conn.commit()
    finally:
        raw.close()


def _pg(v: object) -> str:
    if isinstance(v, bool):
        return "t" if v else "f"
    return str(v)


def load_sqlite(db: Database, data: dict[str, list[tuple]]) -> None:  # type: ignore[type-arg]
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        indexes = cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        for table, rows in data.items():
            cols, rows = _rows(table, rows)
            marks = ", ".join("?" for _ in cols.split(","))
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        for _, ddl in indexes:
            cur.execute(ddl)
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run(label: str, db: Database, repeat: int) -> tuple[float, float, int]:
    cfg = get_config()
    with db.session() as s:
        [branch] = all_branches(s)
    start, end = month_bounds(MONTH, TZ)
    params = {
        "branch": branch.id,
        "first": MONTH,
        "last": date(2026, 3, 31),
        "start": start.replace(tzinfo=None),
        "end": end.replace(tzinfo=None),
    }
    if db.engine.dialect.name == "sqlite":
        params["start"] = params["start"].strftime("%Y-%m-%d %H:%M:%S.%f")  # type: ignore[attr-defined]
        params["end"] = params["end"].strftime("%Y-%m-%d %H:%M:%S.%f")  # type: ignore[attr-defined]
    n_cards = 0

    def cards() -> None:
        nonlocal n_cards
        with db.session() as s:
            n_cards = len(compute_branch(s, cfg, branch, MONTH))

    def hand() -> None:
        with db.session() as s:
            s.execute(text(HAND_SQL), params).all()

    def statement() -> None:
        with db.session() as s:
            raw_rows(s, cfg, branch, MONTH)

    hand()  # warm caches
    # Interleaved, best of N each: the machine is shared, so noise hits both sides alike.
    t_cards = t_hand = t_sql = float("inf")
    for _ in range(repeat):
        t_cards = min(t_cards, timed(cards, 1))
        t_hand = min(t_hand, timed(hand, 1))
        t_sql = min(t_sql, timed(statement, 1))
    print(
        f"{label:10s} scorecards: {t_cards:6.2f} s for {n_cards} collectors "
        f"(its SQL statement alone {t_sql:.2f} s) | "
        f"hand-written query: {t_hand:6.2f} s | ratio {t_cards / t_hand:4.2f} "
        f"(target ≤ 1.5, issue #22 ≤ 1.2)",
        flush=True,
    )
    return t_cards, t_hand, n_cards


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--collectors", type=int, default=5_000)
    ap.add_argument("--calls", type=int, default=2_000_000)
    ap.add_argument("--repayments", type=int, default=200_000)
    ap.add_argument("--complaints", type=int, default=20_000)
    ap.add_argument(
        "--pg",
        default=os.environ.get(
            "COACHBOT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test_scoring"
        ),
    )
    ap.add_argument("--sqlite", default="/tmp/coachbot-bench-scoring.db")
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--repeat", type=int, default=5, help="best of N runs")
    ap.add_argument("--keep", action="store_true", help="leave the PostgreSQL data in place")
    ap.add_argument("--no-load", action="store_true", help="reuse data left by --keep (PG)")
    args = ap.parse_args()
    print(
        f"{args.collectors} collectors, {args.calls} calls, {args.repayments} repayments, "
        f"{args.complaints} complaints in {MONTH:%Y-%m}",
        flush=True,
    )
    t = time.perf_counter()
    data = {} if args.no_load and args.skip_sqlite else generate(args)
    print(f"generated in {time.perf_counter() - t:.1f} s", flush=True)
    if not args.skip_pg:
        db = Database(args.pg)
        if not args.no_load:
            with db.engine.begin() as conn:
                Base.metadata.drop_all(conn)
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.create_all()
            t = time.perf_counter()
            load_pg(db, data)
            print(f"PostgreSQL COPY load: {time.perf_counter() - t:.1f} s", flush=True)
        run("PostgreSQL", db, args.repeat)
        if not args.keep:
            with db.engine.begin() as conn:
                Base.metadata.drop_all(conn)  # leave the scratch database empty
        db.dispose()
    if not args.skip_sqlite:
        t = time.perf_counter()
        Path(args.sqlite).unlink(missing_ok=True)
        db = Database(f"sqlite:///{args.sqlite}")
        db.create_all()
        load_sqlite(db, data)
        print(f"SQLite load: {time.perf_counter() - t:.1f} s", flush=True)
        del data
        run("SQLite", db, min(args.repeat, 2))  # seconds per run: keep the bench short
        db.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(args.sqlite + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
