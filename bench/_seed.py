"""The synthetic 5,000-collector branch bench/scoring.py and bench/dashboard.py measure on:
one month (March 2026) of cases, calls, repayments, complaints, QA findings and assessments
for one branch in Shanghai, generated with a fixed seed and bulk-loaded (COPY on PostgreSQL
with secondary indexes and constraints rebuilt after, executemany on SQLite). Not a bench
itself (the leading underscore keeps run_all from running it)."""

from __future__ import annotations

import argparse
import io
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from coaching.scoring.engine import month_bounds
from db.models import Base
from db.models.work import BUCKETS
from db.session import Database

MONTH = date(2026, 3, 1)
TZ = "Asia/Shanghai"
CASES_PER_COLLECTOR = 20


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


def loaded(data: dict[str, list[tuple]], pg_url: str | None, sqlite_path: Path) -> Database:  # type: ignore[type-arg]
    """A database holding `data`: the PostgreSQL scratch database at `pg_url` wiped and
    COPY-loaded, or (no URL) a new SQLite file at `sqlite_path`."""
    if pg_url:
        db = Database(pg_url)
        with db.engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        load_pg(db, data)
        return db
    db = Database(f"sqlite:///{sqlite_path}")
    db.create_all()
    load_sqlite(db, data)
    return db
