"""Several bot processes sharing one morning fan-out (bench/fanout.py, PostgreSQL): each worker
process runs the product's `Background` (bot/lifecycle.py) — its sender lease and share of the
chats, its outbox loop and its fan-out chunk loop — with an unthrottled pacer against the
Bot API sink; worker 0 also runs the morning job of every branch, as the scheduler lease holder
does. The coordinator starts them, says GO, waits until the sink has every plan, says STOP,
and collects each worker's CPU time between GO and STOP.

Protocol on stdin/stdout: worker prints READY; reads GO; (worker 0 runs the jobs); reads STOP;
prints `CPU <seconds> BUILT <chunks> SENT <messages>`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from bot import outbox
from bot.context import AppContext
from bot.jobs import get_job, run_job
from bot.lifecycle import Background
from bot.settings import load_settings
from coaching.calendar import all_branches
from coaching.clock import FrozenClock
from db.session import Database

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    workers: int
    plans: int
    wall_s: float
    cpu_s: float  # all worker processes, GO to STOP
    pg_cpu_s: float | None  # the database's server processes for this database (local only)
    built: list[int]  # chunks built per worker (beyond the job's own, for worker 0)
    sent: list[int]
    duplicates: int

    @property
    def rate(self) -> float:
        return self.plans / self.wall_s

    @property
    def per_cpu(self) -> float:
        return self.plans / self.cpu_s

    @property
    def per_cpu_with_db(self) -> float | None:
        return None if self.pg_cpu_s is None else self.plans / (self.cpu_s + self.pg_cpu_s)


def _line(p: subprocess.Popen[str]) -> str:
    """The worker's next line (py-spy, when profiling, says things on the same stdout)."""
    while (line := p.stdout.readline()).startswith("py-spy>") or line == "\n":  # type: ignore[union-attr]
        pass
    return line


def _pg_cpu(url: str) -> dict[int, float] | None:
    """CPU seconds so far of each PostgreSQL backend serving this database, read from /proc
    (None when the server is not on this machine)."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    try:
        with eng.connect() as c:
            pids = c.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            pids = list(pids)
    finally:
        eng.dispose()
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return out


def _fresh_outbox(url: str) -> None:
    """Rows an earlier phase left unsent are not part of this run; VACUUM, because the queue's
    dead index entries from earlier runs make every claim scan them (this machine's server runs
    with autovacuum off; a production server vacuums by itself)."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as c:
            c.execute(
                text(
                    "UPDATE outbox SET status = 'skipped', last_error = 'bench: earlier run' "
                    "WHERE status IN ('pending', 'sending')"
                )
            )
            c.execute(text("VACUUM ANALYZE outbox"))
    finally:
        eng.dispose()


def run_workers(
    url: str,
    sink_url: str,
    now: datetime,
    workers: int,
    plans: int,
    concurrency: int,
    cpus: list[int],
) -> Result:
    """N worker processes build and send one day's plans; returns the aggregate figures."""
    _fresh_outbox(url)
    procs = []
    for k in range(workers):
        cmd = [sys.executable, "-m", "bench._fanout_workers", url, sink_url, now.isoformat()]
        cmd += [str(k), str(concurrency), str(workers)]
        if prof := os.environ.get("FANOUT_PYSPY_DIR"):  # collapsed stacks per worker
            out = Path(prof) / f"worker{k}-of-{workers}.txt"
            spy = Path(sys.executable).parent / "py-spy"
            cmd = [str(spy), "record", "--format", "raw", "-r", "200", "-o", str(out), "--", *cmd]
        procs.append(
            subprocess.Popen(
                cmd,
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        )
        if cpus:  # the coordinator may be pinned to one core: the workers get them all
            os.sched_setaffinity(procs[-1].pid, set(cpus))
    try:
        for p in procs:
            line = _line(p)
            if line.strip() != "READY":
                raise SystemExit(f"bench worker did not start: {line!r}")
        pg0 = _pg_cpu(url)
        t0 = time.perf_counter()
        for p in procs:
            p.stdin.write("GO\n")  # type: ignore[union-attr]
            p.stdin.flush()  # type: ignore[union-attr]
        # Until the sink has every plan; /count, not /stats: every chat's counts, 50 times a
        # second, cost the sink and this process ~20 % of a core the workers share.
        with httpx.Client(timeout=30) as http:
            while (st := http.get(f"{sink_url}0/count").json())["accepted"] < plans:
                if any(p.poll() is not None for p in procs):
                    raise SystemExit("a bench worker died")
                time.sleep(0.02)
        wall = time.perf_counter() - t0
        pg1 = _pg_cpu(url)
        pg = None
        if pg0 is not None and pg1 is not None:
            pg = sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items())
        cpu, built, sent = 0.0, [], []
        for p in procs:
            p.stdin.write("STOP\n")  # type: ignore[union-attr]
            p.stdin.flush()  # type: ignore[union-attr]
        for p in procs:
            words = _line(p).split()
            cpu += float(words[1])
            built.append(int(words[3]))
            sent.append(int(words[5]))
            p.wait(30)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return Result(workers, plans, wall, cpu, pg, built, sent, int(st["duplicates"]))


async def _worker(
    url: str, sink_url: str, now: str, index: int, concurrency: int, workers: int
) -> None:
    from _fanout_kit import sender_bot  # bench/ is on sys.path (see main)

    settings = load_settings(_env_file=None, DATABASE_URL=url)
    ctx = AppContext(settings, Database(url), FrozenClock(datetime.fromisoformat(now)))
    loop = asyncio.get_running_loop()
    async with sender_bot(sink_url, concurrency) as bot:
        bg = Background(ctx, bot, pacer=outbox.Pacer(0, 0))
        bg.scheduler.is_leader = lambda: False  # the coordinator says when the job runs
        bg.telegram_ready.set()
        await bg.start()
        while bg.share[1] < workers:  # as in a running deployment: every sender known
            await asyncio.sleep(0.1)
        print("READY", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)  # GO
        cpu0 = time.process_time()
        if index == 0:
            spec = get_job("morning_plan")

            def jobs() -> None:
                for b in ctx.call(all_branches):
                    run_job(ctx, spec, b, force=True)

            await asyncio.to_thread(jobs)
        await loop.run_in_executor(None, sys.stdin.readline)  # STOP
        cpu = time.process_time() - cpu0
        built, sent = bg.built, bg.sent
        await bg.stop()
    print(f"CPU {cpu:.3f} BUILT {built} SENT {sent}", flush=True)
    ctx.db.dispose()


def main() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    url, sink_url, now, index, concurrency, workers = sys.argv[1:7]
    asyncio.run(_worker(url, sink_url, now, int(index), int(concurrency), int(workers)))


if __name__ == "__main__":
    main()
