# ruff: noqa: E402 (the repository root goes on sys.path before the project imports)
"""Memory of `coachbot run` during a 5,000-collector morning fan-out and 8 concurrent imports.

    .venv/bin/python bench/memory.py [--collectors 5000] [--rows 50000] [--imports 8] [--db URL]

Seeds the fan-out benchmark's organisation (bench/fanout.py: 8 open cases and a call history
per collector, every collector bound), starts `coachbot run` as a subprocess in worker mode
(jobs, outbox and the ingest API; no updates) against the Bot API sink in its own process, its
clock at 08:45 on a Monday so the morning plans of every branch are caught up at start, and
meanwhile POSTs 8 call files of `--rows` rows each to the ingest API at once. The process's
peak resident memory (VmHWM) is read when every plan has reached the sink and every import
has answered. Baseline: the same process's peak after start-up, before any of that work.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import httpx
from _fanout_kit import RemoteSink, seed  # bench/_fanout_kit.py
from sqlalchemy import update

from bench.figure import Figure, at_most, bench_database_url, info
from bot import ingest_api
from db.migrate import upgrade
from db.models import Base, Branch
from db.session import Database
from tests.process.harness import start_bot

START = datetime(2026, 3, 2, 0, 45, tzinfo=UTC)  # Monday 08:45 in Shanghai
OUTCOMES = ["no_answer"] * 5 + ["contacted"] * 2 + ["rpc"] * 2 + ["promise"]


def calls_csv(rows: int, collectors: int, seed_no: int) -> bytes:
    """Calls on the seeded cases (case C<collector><k>, collector B<collector>), new refs."""
    rng = random.Random(seed_no)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        ["通话编号", "案件编号", "催收员工号", "被叫号码", "开始时间", "通话时长", "通话结果"]
    )
    start = datetime(2026, 2, 2, 8, 0)
    for i in range(rows):
        emp = rng.randrange(collectors)
        at = start + timedelta(days=rng.randrange(27), seconds=rng.randrange(10 * 3600))
        w.writerow(
            [
                f"M{seed_no:02d}{i:09d}",
                f"C{emp + 1:06d}{rng.randrange(8)}",
                f"B{emp:06d}",
                f"13{rng.randrange(10**9):09d}",
                at.strftime("%Y-%m-%d %H:%M:%S"),
                rng.randrange(0, 600),
                rng.choice(OUTCOMES),
            ]
        )
    return out.getvalue().encode()


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set of a process, MB."""
    vals = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM"):
            vals[k] = int(v.split()[0]) / 1024
    return vals["VmRSS"], vals["VmHWM"]


def children(pid: int) -> list[int]:
    """The process's child processes (the chart and dashboard workers)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def run(collectors: int, rows: int, imports: int, db_url: str | None) -> list[Figure]:
    tmp = Path(tempfile.mkdtemp(prefix="memory-bench-"))
    url = db_url or f"sqlite:///{tmp / 'bench.db'}"
    db = Database(url)
    with db.engine.begin() as conn:  # a scratch database: start empty, then migrate
        Base.metadata.drop_all(conn)
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(url)
    t = time.perf_counter()
    seed(db, collectors)
    with db.session() as s:
        # Every branch on Shanghai time, so all their 08:40 plans are due at 08:45.
        s.execute(update(Branch).values(timezone="Asia/Shanghai"))
        _, token = ingest_api.create_token(s, "bench", "ingest", START)
    db.dispose()
    print(f"seeded {collectors} collectors in {time.perf_counter() - t:.0f} s")
    bodies = [calls_csv(rows, collectors, k) for k in range(imports)]
    with RemoteSink() as sink:
        api = sink.base_url.removesuffix("/bot")
        bot = start_bot(url, api, tmp, clock_at=START, COACHBOT_UPDATES="none")
        try:
            return _measure(bot, sink, token, bodies, collectors)
        finally:
            bot.stop()


def _measure(bot, sink, token: str, bodies: list[bytes], collectors: int) -> list[Figure]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 120
    while bot.health()[0] != 200:
        if time.monotonic() > deadline or bot.proc.poll() is not None:
            raise SystemExit("coachbot run did not start:\n" + bot.output()[-3000:])
        time.sleep(0.2)
    _, idle_peak = rss_mb(bot.proc.pid)
    print(f"coachbot run up: peak RSS so far {idle_peak:.0f} MB")
    t0 = time.monotonic()
    samples: list[float] = []
    workers: dict[int, float] = {}  # child pid -> its peak RSS, as last read
    summed: list[float] = []  # bot + its workers, current RSS per sample

    def sample() -> None:
        total = rss_mb(bot.proc.pid)[0]
        samples.append(total)
        for c in children(bot.proc.pid):
            try:
                cur, hwm = rss_mb(c)
            except (OSError, KeyError):
                continue
            workers[c] = hwm
            total += cur
        summed.append(total)

    async def post_all() -> list[int]:
        async with httpx.AsyncClient(timeout=1800) as client:

            async def post(body: bytes) -> int:
                r = await client.post(
                    f"http://127.0.0.1:{bot.port}/api/v1/ingest/calls?skip_invalid=1",
                    content=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
                )
                return r.status_code

            async def watch(task: asyncio.Future) -> None:
                while not task.done() or sink.stats()["accepted"] < collectors:
                    sample()
                    if time.monotonic() - t0 > 1800 or bot.proc.poll() is not None:
                        raise SystemExit("timed out:\n" + bot.output()[-3000:])
                    await asyncio.sleep(0.5)

            task = asyncio.gather(*(post(b) for b in bodies))
            await watch(task)
            return await task

    codes = asyncio.run(post_all())
    took = time.monotonic() - t0
    cur, peak = rss_mb(bot.proc.pid)
    sent = sink.stats()["accepted"]
    print(
        f"{len(bodies)} imports of {len(bodies[0].splitlines()) - 1} rows (HTTP {set(codes)}) and "
        f"{sent} plans sent in {took:.0f} s; RSS now {cur:.0f} MB, peak {peak:.0f} MB "
        f"(after start-up {idle_peak:.0f} MB); worker processes' peaks "
        f"{sorted(round(v) for v in workers.values())} MB, bot + workers at most "
        f"{max(summed):.0f} MB"
    )
    if any(c != 200 for c in codes):
        print(bot.output()[-2000:])
    return [
        at_most(
            "coachbot run peak RSS, fan-out + 8 imports",
            peak,
            "MB",
            300,
            baseline=idle_peak,
            baseline_name="same process after start-up",
        ),
        info("plans sent during the memory run", sent, "msgs"),
        # Work the bot hands to its worker processes (charts, dashboard precompute) is not in
        # its own figure; what they held is shown beside it.
        info("worker processes, peak RSS of each (max)", max(workers.values(), default=0), "MB"),
        info("bot + worker processes, peak summed RSS (0.5 s samples)", max(summed), "MB"),
    ]


def figures(quick: bool) -> list[Figure]:
    if quick:
        return run(5_000, 20_000, 8, bench_database_url())
    return run(5_000, 100_000, 8, bench_database_url())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--collectors", type=int, default=5_000)
    ap.add_argument("--rows", type=int, default=50_000, help="rows per import file")
    ap.add_argument("--imports", type=int, default=8)
    ap.add_argument("--db", default=None, help="a scratch database URL (wiped); default SQLite")
    a = ap.parse_args()
    for f in run(a.collectors, a.rows, a.imports, a.db):
        print(f"  {f.name}: {f.value:.0f} {f.unit}; target {f.target}")


if __name__ == "__main__":
    main()
