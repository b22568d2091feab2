"""A/B of the scorecards' statement against the bench's hand-written query (issue #22).

    .venv/bin/python bench/scoring_ab.py --pg postgresql+psycopg://…/bench_score [--repeat 9]
    (--explain-only: per-node timings of both plans in /tmp/score2/{ours,hand}.plan)

Runs on data left by `bench/scoring.py --keep` (nothing is written). Each SQL text (ours, as
compiled; the hand query, bench/scoring.py) is run through each execution path, interleaved
and rotated, best of N: so a difference shows whether it is in the text or in the path.
Also EXPLAIN (ANALYZE) of each text: the server's planning and execution time.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench._seed import MONTH
from bench.scoring import bench_month, hand_summary
from coaching.scoring.engine import add_months, compute_branch
from coaching.scoring.queries import _settings, _statement, iter_rows
from coaching.scoring.rules import Plan
from db.session import Database


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", required=True)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--explain-only", action="store_true")
    args = ap.parse_args()
    db = Database(args.pg)
    cfg, branch, start, end, base_start, windows = bench_month(db)

    def ts(d: datetime) -> datetime:
        return d.astimezone(UTC).replace(tzinfo=None)

    hp: dict[str, object] = {
        "branch": branch.id,
        "first": MONTH,
        "last": date(2026, 3, 31),
        "start": ts(start),
        "end": ts(end),
        "base_start": ts(base_start),
        "prev": add_months(MONTH, -1),
    }
    for i, (lo, hi, _) in enumerate(windows):
        hp[f"lo{i}"], hp[f"hi{i}"] = ts(lo), ts(hi)
    plan = Plan(cfg, branch.code)
    for i, wtz in enumerate(zip(plan.w_int, plan.t_int, plan.z_int, strict=True)):
        hp[f"w{i}"], hp[f"t{i}"], hp[f"z{i}"] = wtz
    hp["wk"] = 10**plan.w_places
    stmt = _statement(tuple(sign for _, _, sign in windows), False)
    with db.engine.connect() as c:
        compiled = stmt.compile(dialect=c.dialect)
    ours_pyformat = compiled.string
    hand_colon = hand_summary(windows)
    hand_pyformat = re.sub(r"(?<!:):(\w+)", r"%(\1)s", hand_colon)
    op = compiled.construct_params(hp)
    texts = {"ours": (ours_pyformat, op), "hand": (hand_pyformat, hp)}
    Path("/tmp/score2").mkdir(exist_ok=True)
    Path("/tmp/score2/ours.sql").write_text(ours_pyformat)

    def sa_all(which: str):  # the hand query's path: SQLAlchemy text(), .all()
        with db.session() as s, _settings(s):
            if which == "hand":
                return s.execute(text(hand_colon), hp).all()
            return s.connection().exec_driver_sql(*texts[which]).all()

    def sa_driver(which: str):  # SQLAlchemy Core, driver SQL (no compile), .all()
        with db.session() as s, _settings(s):
            return s.connection().exec_driver_sql(*texts[which]).all()

    def raw(which: str, mode: str):  # psycopg cursor directly
        with db.session() as s, _settings(s):
            cur = s.connection().connection.driver_connection.cursor()
            sql, hp_ = texts[which]
            if mode == "stream":
                return list(cur.stream(sql, hp_, size=256))
            if mode == "fetchall":
                return cur.execute(sql, hp_).fetchall()
            if mode == "noprep":
                return cur.execute(sql, hp_, prepare=False).fetchall()
            if mode == "prep":
                return cur.execute(sql, hp_, prepare=True).fetchall()
            raise ValueError(mode)

    def rows_ours():
        with db.session() as s:
            return list(iter_rows(s, cfg, branch, MONTH, plan=plan))

    def cards():
        with db.session() as s:
            return compute_branch(s, cfg, branch, MONTH)

    jobs = {
        "cards (compute_branch)": cards,
        "iter_rows (our path)": rows_ours,
    }
    for w in ("ours", "hand"):
        jobs[f"{w} SQL / SA text().all()"] = lambda w=w: sa_all(w)
        jobs[f"{w} SQL / SA driver_sql.all()"] = lambda w=w: sa_driver(w)
        for m in ("stream", "fetchall", "noprep", "prep"):
            jobs[f"{w} SQL / psycopg {m}"] = lambda w=w, m=m: raw(w, m)
    n = (
        {k: len(f()) for k, f in jobs.items()} if not args.explain_only else {}
    )  # warm-up, and row counts
    best = dict.fromkeys(jobs, float("inf"))
    keys = list(jobs)
    for i in range(0 if args.explain_only else args.repeat):
        for k in keys[i % len(keys) :] + keys[: i % len(keys)]:
            gc.collect()
            t = time.perf_counter()
            jobs[k]()
            best[k] = min(best[k], time.perf_counter() - t)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"best of {args.repeat}, load average {load}")
    ref = best["hand SQL / SA text().all()"]
    for k in keys if n else ():
        print(f"  {k:32s} {best[k] * 1000:8.1f} ms  ×{best[k] / ref:.2f}  rows {n[k]}")
    # The server side: planning and execution (EXPLAIN ANALYZE, timing off), best of 3.
    for w in ("ours", "hand"):
        pl, ex = [], []
        for _ in range(3):
            with db.session() as s, _settings(s):
                out = (
                    s.connection()
                    .exec_driver_sql(
                        (
                            "EXPLAIN (ANALYZE, BUFFERS, SUMMARY) "
                            if args.explain_only
                            else "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY) "
                        )
                        + texts[w][0],
                        texts[w][1],
                    )
                    .all()
                )
            lines = [r[0] for r in out]
            pl.append(float(re.search(r"Planning Time: ([\d.]+)", "\n".join(lines))[1]))
            ex.append(float(re.search(r"Execution Time: ([\d.]+)", "\n".join(lines))[1]))
            Path(f"/tmp/score2/{w}.plan").write_text("\n".join(lines))
        print(f"  server {w}: planning {min(pl):.1f} ms, execution {min(ex):.1f} ms")
    db.dispose()


if __name__ == "__main__":
    main()
