"""Where a COPY into `calls` spends its time: each index, foreign key and trigger removed in turn.

    nice -n 10 .venv/bin/python bench/ingest_floor.py --rows 1000000 \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_NAME

Builds `calls` from the models in a scratch schema `ingest_floor` (dropped first), seeds the
organisation of bench/ingest.py, generates resolved call rows in SQL with that bench's shape
(20,000 cases, 60 collectors, 90 days, in `call_ref` order as the import's merge writes them)
and times, for each variant, one `COPY calls FROM STDIN` of those rows in one transaction:
wall and the backend's CPU (/proc). Against it, a bare COPY of the same rows into an
index-free table of the same columns. The variant `-X` is the table without X; `+C` is the
table with `COLLATE "C"` on the key text columns (`call_ref`, `debtor_key`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from sqlalchemy import text

from bench.ingest import backend_cpu, seed_org
from bot.settings import load_settings
from db.models import Base
from db.models.activity import install
from db.models.call_refs import install as install_refs
from db.session import Database

SCHEMA = "ingest_floor"
COLS = "call_ref, case_id, collector_id, debtor_key, started_at, duration_s, outcome"

# Resolved rows shaped like bench/ingest.py's file: a random case (its collector and debtor),
# a time in 90 days of 08:00-22:00 Shanghai (UTC-stored), a duration, an outcome.
GENERATE = """
CREATE TABLE src AS
SELECT 'CALL' || lpad(s.g::text, 9, '0') AS call_ref, c.id AS case_id,
       c.collector_id, c.debtor_key,
       timestamp '2026-01-05 00:00' + make_interval(days => (random() * 89)::int,
                                                    secs => (random() * 50400)::int) AS started_at,
       (random() * 599)::int AS duration_s,
       (ARRAY['no_answer','no_answer','no_answer','no_answer','no_answer','contacted',
              'contacted','rpc','rpc','promise'])[1 + (random() * 9)::int] AS outcome
FROM (SELECT g, 1 + floor(random() * 20000)::int AS cid
      FROM generate_series(0, %(n)s - 1) g) s
JOIN cases c ON c.id = s.cid
ORDER BY 1
"""


def _variants(fks: list[str], indexes: list[str], triggers: list[str]) -> dict[str, list[str]]:
    """Each piece of the table as it is (read from the catalog) removed in turn, then all."""
    drop_fk = [f"ALTER TABLE calls DROP CONSTRAINT {f}" for f in fks]
    drop_trig = [f"DROP TRIGGER {t} ON calls" for t in triggers]
    drop_ix = [f"DROP INDEX {ix}" for ix in indexes]
    collate = [
        'ALTER TABLE calls ALTER COLUMN call_ref TYPE varchar(64) COLLATE "C"',
        'ALTER TABLE calls ALTER COLUMN debtor_key TYPE varchar(64) COLLATE "C"',
    ]
    v: dict[str, list[str]] = {"full": []}
    if fks:
        v["-fks"] = drop_fk
    for f in fks:
        v[f"-{f}"] = [f"ALTER TABLE calls DROP CONSTRAINT {f}"]
    for t, sql in zip(triggers, drop_trig, strict=True):
        v[f"-trigger {t}"] = [sql]
    for ix, sql in zip(indexes, drop_ix, strict=True):
        v[f"-{ix}"] = [sql]
    v["-unique call_ref"] = ["ALTER TABLE calls DROP CONSTRAINT uq_calls_call_ref"]
    v["+C"] = collate
    v["pk only"] = [*drop_fk, *drop_trig, *drop_ix]
    v["pk only, -unique"] = [*v["pk only"], "ALTER TABLE calls DROP CONSTRAINT uq_calls_call_ref"]
    v["full (again)"] = []
    return v


def _time(conn: psycopg.Connection, pid: int, fn: Callable[[], Any]) -> tuple[float, float]:
    c0, t0 = backend_cpu(pid) or 0.0, time.perf_counter()
    fn()
    conn.commit()
    return time.perf_counter() - t0, (backend_cpu(pid) or 0.0) - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pg-url", required=True)
    ap.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per variant (the best is kept)")
    args = ap.parse_args()
    settings = load_settings(_env_file=None, DATABASE_URL=args.pg_url)
    db = Database(settings.database_url)
    with db.engine.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        c.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    db.dispose()
    db = Database(f"{settings.database_url}?options=-csearch_path%3D{SCHEMA}")
    Base.metadata.create_all(db.engine)
    seed_org(db, settings.pii_hmac_key)
    db.dispose()

    dsn = args.pg_url.replace("postgresql+psycopg://", "postgresql://")
    conn = psycopg.connect(dsn, options=f"-csearch_path={SCHEMA}")
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
    conn.execute("SELECT setseed(0.7)")
    conn.execute(GENERATE, {"n": args.rows})
    conn.execute(
        "CREATE TABLE bare (call_ref text, case_id int, collector_id int, debtor_key text, "
        "started_at timestamp, duration_s int, outcome text)"
    )
    fks = [
        r[0]
        for r in conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'calls'::regclass "
            "AND contype = 'f' ORDER BY 1"
        )
    ]
    indexes = [
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'calls'::regclass AND NOT i.indisunique ORDER BY 1"
        )
    ]
    triggers = [
        r[0]
        for r in conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'calls'::regclass "
            "AND NOT tgisinternal AND tgtype & 4 = 4 ORDER BY 1"  # fires on INSERT
        )
    ]
    conn.commit()
    data = bytearray()
    with conn.cursor().copy(f"COPY (SELECT {COLS} FROM src ORDER BY call_ref) TO STDOUT") as cp:
        for chunk in cp:
            data += chunk

    def copy_into(table: str) -> Callable[[], None]:
        def go() -> None:
            with conn.cursor().copy(f"COPY {table} ({COLS}) FROM STDIN") as cp:
                for i in range(0, len(data), 1 << 20):
                    cp.write(bytes(data[i : i + (1 << 20)]))

        return go

    def best(table: str) -> tuple[float, float]:
        runs = []
        for _ in range(args.repeat):
            conn.execute(f"TRUNCATE {table}")
            conn.commit()
            runs.append(_time(conn, pid, copy_into(table)))
        return min(runs)

    base_wall, base_cpu = best("bare")
    print(f"{'bare COPY (no index)':28} {base_wall:7.2f} s  CPU {base_cpu:6.2f} s", flush=True)
    variants = _variants(fks, indexes, triggers)
    for name, stmts in variants.items():
        if args.only and name not in args.only:
            continue
        conn.execute("BEGIN")
        conn.execute("TRUNCATE calls, call_month_activity")
        for sql in stmts:
            conn.execute(sql)
        conn.commit()
        runs = []
        for _ in range(args.repeat):
            runs.append(_time(conn, pid, copy_into("calls")))
            conn.execute("TRUNCATE calls, call_month_activity")
            conn.commit()
        wall, cpu = min(runs)
        print(
            f"{name:28} {wall:7.2f} s  CPU {cpu:6.2f} s  ({cpu / max(base_cpu, 1e-3):5.1f}x bare)",
            flush=True,
        )
        # Put the table back as the models define it for the next variant.
        conn.execute("DROP TABLE calls CASCADE")
        conn.commit()
        db = Database(f"{settings.database_url}?options=-csearch_path%3D{SCHEMA}")
        Base.metadata.tables["calls"].create(db.engine)
        with db.engine.begin() as c:
            install(c)
            install_refs(c)
        db.dispose()
    conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    conn.commit()
    conn.close()


if __name__ == "__main__":
    main()
