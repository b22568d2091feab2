# ruff: noqa: E402 (the repository root goes on sys.path before the project imports)
"""Fan-out benchmark: build and send the morning plan of 10,000 collectors.

    .venv/bin/python bench/fanout.py [--collectors 10000] [--rate-seconds 60] [--group-seconds 30]
        [--db URL] [--no-pin]
    .venv/bin/python bench/fanout.py --faults [--db postgresql+psycopg://…] [--messages 400]
        (the outbox under faults against real `coachbot run` processes: bench/outbox_faults.py)

1. No rate limit: plans built (+ queued) per second, and sent per second to a local Bot API
   sink over HTTP (Starlette/uvicorn on 127.0.0.1), with duplicates and losses counted by chat.
2. With Telegram's limits (30 msg/s overall, 1/s per chat) for a bounded time: achieved rate.
3. The configured limits on a queue mixing 3 groups and private chats: msg/min per group.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx
from sqlalchemy import insert, select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot import outbox
from bot.context import AppContext
from bot.jobs import get_job, run_job
from bot.settings import load_settings
from coaching.calendar import all_branches
from coaching.clock import AnchoredClock, FrozenClock
from db.models import Base, Branch, Call, Case, Employee, EmployeeRole, Outbox, TelegramBinding
from db.session import Database

NOW = datetime(2026, 3, 2, 0, 40, tzinfo=UTC)  # Monday 08:40 Shanghai
SINK_CPUS: set[int] = set()  # where the sink runs when the benchmark is pinned to one core


def pin_one_core() -> str:
    """Pin this process (the bot: fan-out thread + outbox worker) to one core and the sink to
    the others, so "per second on one core" means exactly that."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) < 2:
        return "not pinned (fewer than 2 cores available)"
    os.sched_setaffinity(0, {cpus[0]})
    SINK_CPUS.update(cpus[1:])
    return f"bot pinned to core {cpus[0]}, sink on {cpus[1:]}"


def seed(db: Database, n: int) -> list[int]:
    with db.session() as s:
        sh = Branch(code="SH", name="SH", timezone="Asia/Shanghai", locale="zh_CN")
        jkt = Branch(code="JKT", name="JKT", timezone="Asia/Jakarta", locale="en")
        s.add_all([sh, jkt])
        s.flush()
        s.execute(
            insert(Employee),
            [
                dict(
                    employee_no=f"B{i:06d}",
                    name=f"n{i}",
                    branch_id=(sh if i % 2 else jkt).id,
                    hire_date=date(2025, 1, 1),
                    status="active",
                )
                for i in range(n)
            ],
        )
        ids = list(s.execute(select(Employee.id).order_by(Employee.id)).scalars())
        s.execute(insert(EmployeeRole), [dict(employee_id=i, role="collector") for i in ids])
        s.execute(
            insert(TelegramBinding),
            [
                dict(
                    employee_id=i,
                    telegram_user_id=10_000_000 + i,
                    chat_id=10_000_000 + i,
                    bound_at=NOW,
                    active=True,
                )
                for i in ids
            ],
        )
        cases = []
        for i in ids:
            for k in range(8):
                cases.append(
                    dict(
                        case_ref=f"C{i:06d}{k}",
                        collector_id=i,
                        debtor_key=f"{i}-{k}",
                        amount_owed=Decimal(5_000 + 9_000 * k),
                        days_overdue=10 * k + 1,
                        bucket="M1",
                        is_target=k == 7,
                        is_instalment=False,
                        product="",
                        region="",
                        assigned_on=date(2026, 1, 5),
                    )
                )
        s.execute(insert(Case), cases)
        case_ids = list(s.execute(select(Case.id, Case.collector_id)).all())
        calls = [
            dict(
                call_ref=f"K{cid}",
                case_id=cid,
                collector_id=emp,
                debtor_key="x",
                started_at=NOW - timedelta(days=1 + cid % 9, hours=cid % 11),
                duration_s=60,
                outcome=("rpc", "no_answer", "contacted")[cid % 3],
            )
            for cid, emp in case_ids
            if cid % 2
        ]
        s.execute(insert(Call), calls)
    return [10_000_000 + i for i in ids]


async def deliver(ctx: AppContext, base_url: str, pacer: outbox.Pacer, concurrency: int) -> int:
    request = HTTPXRequest(connection_pool_size=concurrency)  # Bot's default pool is 1
    async with Bot("123:BENCH", base_url=base_url, request=request) as bot:
        return await outbox.deliver_due(bot, ctx, pacer=pacer, concurrency=concurrency)


class RemoteSink:
    """The sink in its own process (so it does not share our CPU/GIL), read over HTTP."""

    def __enter__(self) -> RemoteSink:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.transport.apisink"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        if SINK_CPUS:
            os.sched_setaffinity(self.proc.pid, SINK_CPUS)
        port = int(self.proc.stdout.readline())  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self

    def stats(self) -> dict:
        return httpx.get(f"{self.base_url}0/stats", timeout=30).json()

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def main() -> None:
    if "--faults" in sys.argv:  # the fault campaign has its own options and exit status
        sys.argv.remove("--faults")
        from bench.outbox_faults import main as faults

        raise SystemExit(faults())
    ap = argparse.ArgumentParser()
    ap.add_argument("--collectors", type=int, default=10_000)
    ap.add_argument("--rate-seconds", type=float, default=60)
    ap.add_argument("--group-seconds", type=float, default=30, help="bounded group-pacing run")
    # httpx's connection pool gets slower with many connections; a few keep-alive
    # connections to a local sink are fastest (Telegram's real latency needs more).
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument(
        "--db",
        default=None,
        help="database URL (default: a temporary SQLite file); its tables are dropped first",
    )
    ap.add_argument("--no-pin", action="store_true", help="do not pin the bot to one core")
    a = ap.parse_args()
    if not a.no_pin:
        print(pin_one_core())
    tmp = tempfile.mkdtemp(prefix="fanout-")
    url = a.db or f"sqlite:///{tmp}/bench.db"
    db = Database(url)
    Base.metadata.drop_all(db.engine)  # a disposable benchmark database: start empty
    db.create_all()
    t = time.perf_counter()
    chats = seed(db, a.collectors)
    print(
        f"seeded {a.collectors} collectors, 8 cases each, in {time.perf_counter() - t:.1f} s "
        f"({db.engine.dialect.name})"
    )
    settings = load_settings(_env_file=None, DATABASE_URL=url)
    ctx = AppContext(settings, db, FrozenClock(NOW))
    spec = get_job("morning_plan")

    # 1. No rate limit. The fan-out (build + queue) runs in a thread while the outbox worker
    # delivers what is queued, as the bot does (the scheduler runs the job, the worker sends).
    with RemoteSink() as sink:

        async def pipeline() -> tuple[float, float, int]:
            t0 = time.perf_counter()
            cpu0 = time.process_time()
            build_s = 0.0

            def fan_out() -> None:
                nonlocal build_s
                for b in ctx.call(all_branches):
                    run_job(ctx, spec, b, force=True)
                build_s = time.perf_counter() - t0

            job = asyncio.create_task(asyncio.to_thread(fan_out))
            sent = 0
            while True:
                done = job.done()
                sent += await deliver(ctx, sink.base_url, outbox.Pacer(0, 0), a.concurrency)
                if done:
                    break
                await asyncio.sleep(0.05)
            await job
            nonlocal cpu_s
            cpu_s = time.process_time() - cpu0
            return build_s, time.perf_counter() - t0, sent

        cpu_s = 0.0
        t_build, total, sent = asyncio.run(pipeline())
        st = sink.stats()
        lost = len(set(chats) - {int(c) for c in st["per_chat"]})
        print(
            f"built+queued {a.collectors} plans in {t_build:.1f} s "
            f"(while sending): {a.collectors / t_build:.0f} plans/s"
        )
        print(f"built and sent {sent} plans in {total:.1f} s: {sent / total:.0f} plans/s")
        print(f"bot process CPU {cpu_s:.1f} s = {sent / cpu_s:.0f} plans per CPU-second")
        print(f"duplicates: {st['duplicates']}, losses: {lost}")

    # 2. Telegram's limits, bounded time: a second day's plans.
    ctx.clock.set(NOW + timedelta(days=1))
    for b in ctx.call(all_branches):
        run_job(ctx, spec, b, force=True)
    with RemoteSink() as sink:

        async def bounded() -> None:
            # Stopped as the bot stops on SIGTERM: drain, so what the sink accepted is recorded.
            task = asyncio.create_task(
                deliver(ctx, sink.base_url, outbox.Pacer(30, 1.0), a.concurrency)
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), a.rate_seconds)
            await outbox.drain(ctx)
            await task

        asyncio.run(bounded())
        st = sink.stats()
        rate = (st["accepted"] - 1) / st["span_s"] if st["span_s"] > 0 else 0.0
        print(
            f"with the 30/s limit: {st['accepted']} sent in {st['span_s']:.1f} s = "
            f"{rate:.2f} msg/s (max per chat {st['max_per_chat']}, "
            f"duplicates {st['duplicates']})"
        )
    group_pacing(ctx, a)
    with db.session() as s:
        n = s.query(Outbox).filter(Outbox.status == "sent").count()
        left = s.query(Outbox).filter(Outbox.status == "pending", Outbox.lease_until.is_(None))
        accepted = a.collectors + st["accepted"]
        print(
            f"outbox rows sent over both runs: {n} (sink accepted {accepted}); "
            f"after the drain {left.count()} rows are pending and due at once"
        )


GROUPS = (-1001000000901, -1001000000902, -1001000000903)


def group_pacing(ctx: AppContext, a: argparse.Namespace) -> None:
    """3. The configured limits (pacer_for: overall rate, 1/s per private chat, 20/min per
    group) on a mixed queue — 40 messages to each of 3 groups and 300 private ones — for a
    bounded time: messages per minute per group and the overall rate."""
    # Real time from here: rows a chat's limit holds back come due as the clock runs.
    ctx.clock = AnchoredClock(NOW + timedelta(days=2))
    now = ctx.clock.now()

    def queue(s: object) -> None:
        rows = [
            dict(key=f"g:{g}:{i}", kind="bench", chat_id=g, payload={"text": f"g{i}"})
            for g in GROUPS
            for i in range(40)
        ] + [
            dict(key=f"p:{i}", kind="bench", chat_id=20_000_000 + i, payload={"text": "p"})
            for i in range(300)
        ]
        outbox.enqueue_many(s, rows, now=now)  # type: ignore[arg-type]

    ctx.call(queue)
    with RemoteSink() as sink:

        async def bounded() -> None:
            pacer = outbox.pacer_for(ctx)  # one pacer for the run, as the bot's worker keeps
            end = time.monotonic() + a.group_seconds
            ctx.extras.pop("outbox_worker", None)  # the earlier run's drain stopped it
            while time.monotonic() < end:  # the bot's outbox loop: a round, then a short wait
                await deliver(ctx, sink.base_url, pacer, a.concurrency)
                await asyncio.sleep(0.5)

        asyncio.run(bounded())
        st = sink.stats()
    per_min = []
    for g in GROUPS:
        n, span = st["per_chat"].get(str(g), 0), st["span_per_chat"].get(str(g), 0.0)
        per_min.append((n - 1) / span * 60 if span > 0 else 0.0)
    overall = (st["accepted"] - 1) / st["span_s"] if st["span_s"] > 0 else 0.0
    limit = ctx.settings.rate_group_per_min
    print(
        f"group pacing over {a.group_seconds:.0f} s: "
        + ", ".join(f"{m:.1f}" for m in per_min)
        + f" msg/min per group (limit {limit:.0f}; ratio {max(per_min) / limit:.2f}); "
        f"overall {overall:.1f} msg/s (limit {ctx.settings.outbox_rate:.0f})"
    )


if __name__ == "__main__":
    main()
