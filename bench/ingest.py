"""Ingest benchmark: generate N call rows as CSV, import them, print rows per second.

    .venv/bin/python bench/ingest.py --rows 1000000 \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test_ingest

For each database it times the real import path (`coaching.ingest.import_table`: decode, header
mapping, pydantic validation, debtor HMAC, branch-time-zone conversion, staging — COPY on
PostgreSQL, executemany on SQLite — and the merge INSERT … SELECT … ON CONFLICT, plus the
automatic compliance checks), then a re-import of the same file (every row unchanged). On
PostgreSQL it also times a bare `COPY … FROM STDIN (FORMAT csv)` of the same file into a plain
table and prints the ratio. PostgreSQL runs in its own schema `ingest_bench` (dropped first).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text

from bench.figure import Figure, at_least, bench_database_url, info
from bot.context import AppContext
from bot.settings import load_settings
from coaching.clock import SystemClock
from coaching.ingest import Options, import_table, read_path
from coaching.privacy import debtor_key
from db.models import Base, Branch, Case, Employee, EmployeeRole
from db.models.activity import uninstall
from db.session import Database

N_COLLECTORS = 60
N_CASES = 20_000
OUTCOMES = ["no_answer"] * 5 + ["contacted"] * 2 + ["rpc"] * 2 + ["promise"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 8, 0)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["通话编号", "案件编号", "催收员工号", "被叫号码", "开始时间", "通话时长", "通话结果"]
        )
        for i in range(rows):
            case = rng.randrange(N_CASES)
            collector = case % N_COLLECTORS + 1
            at = start + timedelta(days=rng.randrange(90), seconds=rng.randrange(14 * 3600))
            w.writerow(
                [
                    f"CALL{i:09d}",
                    f"K{case:06d}",
                    f"C{collector:04d}",
                    f"13{case:09d}",
                    at.strftime("%Y-%m-%d %H:%M:%S"),
                    rng.randrange(0, 600),
                    rng.choice(OUTCOMES),
                ]
            )


def seed_org(db: Database, secret: str) -> None:
    with db.session() as s:
        sh = Branch(code="SH", name="Shanghai", timezone="Asia/Shanghai")
        jkt = Branch(code="JKT", name="Jakarta", timezone="Asia/Jakarta")
        s.add_all([sh, jkt])
        s.flush()
        ids = []
        for n in range(1, N_COLLECTORS + 1):
            e = Employee(
                employee_no=f"C{n:04d}",
                name=f"C{n}",
                branch_id=(sh if n % 2 else jkt).id,
                hire_date=date(2025, 1, 6),
            )
            e.role_rows = [EmployeeRole(role="collector")]
            s.add(e)
            s.flush()
            ids.append(e.id)
        s.execute(
            insert(Case),
            [
                {
                    "case_ref": f"K{c:06d}",
                    "collector_id": ids[c % N_COLLECTORS],
                    "debtor_key": debtor_key(secret, f"13{c:09d}"),
                    "amount_owed": 1000,
                    "days_overdue": 40,
                    "bucket": "M2",
                    "product": "",
                    "is_instalment": False,
                    "is_target": False,
                    "region": "",
                    "assigned_on": date(2026, 1, 1),
                }
                for c in range(N_CASES)
            ],
        )


def bench_one(
    label: str, url: str, csv_path: Path, rows: int, no_reimport: bool, activity: bool = True
) -> tuple[float, float | None]:
    """(import rows/s, bare COPY rows/s on PostgreSQL else None)."""
    settings = load_settings(_env_file=None, DATABASE_URL=url)
    db = Database(settings.database_url)
    if db.is_postgres:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS ingest_bench CASCADE"))
            conn.execute(text("CREATE SCHEMA ingest_bench"))
        db.dispose()
        sep = "&" if "?" in settings.database_url else "?"
        db = Database(f"{settings.database_url}{sep}options=-csearch_path%3Dingest_bench")
    Base.metadata.create_all(db.engine)
    if not activity:  # measure what the call_month_activity triggers cost an import
        with db.engine.begin() as conn:
            uninstall(conn)
    seed_org(db, settings.pii_hmac_key)
    ctx = AppContext(settings=settings, db=db, clock=SystemClock())
    result, copy_rate = 0.0, None
    runs = ["first import"] if no_reimport else ["first import", "re-import (unchanged)"]
    for run in runs:
        t0, c0 = time.perf_counter(), time.process_time()
        rep = import_table(ctx, "calls", read_path(csv_path), Options())
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert rep.ok and rep.applied, rep.errors[:3]
        print(
            f"{label:10} {run:22} {rows:>9} rows {dt:7.1f} s {rows / dt:>9,.0f} rows/s "
            f"(inserted {rep.inserted}, unchanged {rep.unchanged}, "
            f"auto findings {rep.auto_findings})\n{'':34}phases (s) {rep.timings}; "
            f"importer process CPU {cpu:.1f} s = {rows / cpu:,.0f} rows per CPU-second",
            flush=True,
        )
        if run == "first import":
            result = rows / dt
    if db.is_postgres:
        raw = db.engine.raw_connection()
        try:
            cur = raw.driver_connection.cursor()  # type: ignore[union-attr]
            cur.execute(
                "CREATE TABLE bare_copy (call_ref text, case_ref text, collector text, "
                "debtor text, started_at timestamp, duration_s int, outcome text)"
            )
            t0 = time.perf_counter()
            with (
                csv_path.open("rb") as f,
                cur.copy("COPY bare_copy FROM STDIN (FORMAT csv, HEADER true)") as cp,
            ):
                while chunk := f.read(1 << 20):
                    cp.write(chunk)
            raw.commit()
            dt = time.perf_counter() - t0
            copy_rate = rows / dt
            print(
                f"{label:10} {'bare COPY':22} {rows:>9} rows {dt:7.1f} s {copy_rate:>9,.0f} rows/s",
                flush=True,
            )
            print(f"{label:10} import / bare COPY = {result / copy_rate:.2f}", flush=True)
            cur.execute("DROP SCHEMA ingest_bench CASCADE")
            raw.commit()
        finally:
            raw.close()
    db.dispose()
    return result, copy_rate


def figures(quick: bool) -> list[Figure]:
    """For bench/run_all.py: 100,000 rows quick, 1,000,000 full; PostgreSQL when
    COACHBOT_BENCH_DATABASE_URL is set (with the bare-COPY baseline), else SQLite."""
    rows = 100_000 if quick else 1_000_000
    url = bench_database_url()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "calls.csv"
        generate(csv_path, rows)
        if url:
            rate, copy = bench_one("postgresql", url, csv_path, rows, True)
            return [
                at_least(
                    "call import, PostgreSQL",
                    rate,
                    "rows/s",
                    20_000,
                    baseline=copy,
                    baseline_name="bare COPY of the file",
                )
            ]
        rate, _ = bench_one("sqlite", f"sqlite:///{Path(tmp) / 'b.db'}", csv_path, rows, True)
        return [
            info("call import, SQLite (PostgreSQL target needs a bench database)", rate, "rows/s")
        ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pg-url", default=None, help="PostgreSQL URL (skipped when not given)")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--no-reimport", action="store_true", help="Skip the unchanged re-import")
    ap.add_argument(
        "--activity-cost",
        action="store_true",
        help="Import once more without the call_month_activity triggers; print the ratio",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "calls.csv"
        t0 = time.perf_counter()
        generate(csv_path, args.rows)
        size = csv_path.stat().st_size / 1e6
        print(
            f"generated {args.rows} call rows ({size:.0f} MB) in {time.perf_counter() - t0:.1f} s"
        )
        if not args.no_sqlite:
            lite = f"sqlite:///{Path(tmp) / 'bench.db'}"
            rate, _ = bench_one("sqlite", lite, csv_path, args.rows, args.no_reimport)
            if args.activity_cost:
                Path(tmp, "bench.db").unlink()
                bare, _ = bench_one(
                    "sqlite -trig", lite, csv_path, args.rows, args.no_reimport, False
                )
                print(f"with / without the call_month_activity triggers = {rate / bare:.2f}")
        if args.pg_url:
            rate, _ = bench_one("postgresql", args.pg_url, csv_path, args.rows, args.no_reimport)
            if args.activity_cost:
                bare, _ = bench_one(
                    "pg -trig", args.pg_url, csv_path, args.rows, args.no_reimport, False
                )
                print(f"with / without the call_month_activity triggers = {rate / bare:.2f}")
            print(f"target ≥ 20,000 rows/s on PostgreSQL: {'met' if rate >= 20000 else 'MISSED'}")


if __name__ == "__main__":
    main()
