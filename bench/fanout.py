# ruff: noqa: E402 (the repository root goes on sys.path before the project imports)
"""Fan-out benchmark: build and send the morning plan of 10,000 collectors.

    .venv/bin/python bench/fanout.py [--collectors 10000] [--rate-seconds 60] [--group-seconds 30]
        [--db URL] [--no-pin] [--workers 2]
    .venv/bin/python bench/fanout.py --faults [--db postgresql+psycopg://…] [--messages 400]
        (the outbox under faults against real `coachbot run` processes: bench/outbox_faults.py)

0. Baseline: a bare sendMessage loop (aiohttp, no database, no plans) to the same sink — the
   ceiling the sink and the wire allow; the fan-out's rate is printed as a ratio of it.
1. No rate limit: plans built (+ queued) per second, and sent per second to a local Bot API
   sink over HTTP (Starlette/uvicorn on 127.0.0.1), with duplicates and losses counted by chat;
   the bot (fan-out thread + outbox worker) pinned to one core.
2. Workers: the next days' plans built and sent by 1, then N, bot processes (the product's
   `Background` each: chunk claims, sender leases; bench/_fanout_workers.py) sharing one run:
   the aggregate rate and plans per CPU-second of the bot processes, scaling 1 -> N.
3. With Telegram's limits (30 msg/s overall, 1/s per chat) for a bounded time: achieved rate.
4. The configured limits on a queue mixing 3 groups and private chats: msg/min per group.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import httpx
from _fanout_kit import (  # bench/_fanout_kit.py
    NOW,
    RemoteSink,
    deliver,
    pin_one_core,
    raw_baseline,
    seed,
    sender_bot,
)
from _fanout_workers import run_workers  # bench/_fanout_workers.py
from sqlalchemy import update
from sqlalchemy.orm import Session

from bench.figure import Figure, at_least, at_most, bench_database_url, info
from bot import outbox
from bot.context import AppContext
from bot.jobs import get_job, run_job
from bot.settings import load_settings
from coaching.calendar import all_branches
from coaching.clock import AnchoredClock, FrozenClock
from db.models import Base, Outbox
from db.session import Database


def run(
    collectors: int,
    rate_seconds: float,
    group_seconds: float,
    *,
    concurrency: int = 8,
    db_url: str | None = None,
    pin: bool = True,
    workers: int = 2,
) -> list[Figure]:
    all_cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if pin:
        print(pin_one_core())
    tmp = tempfile.mkdtemp(prefix="fanout-")
    url = db_url or f"sqlite:///{tmp}/bench.db"
    db = Database(url)
    Base.metadata.drop_all(db.engine)  # a disposable benchmark database: start empty
    db.create_all()
    t = time.perf_counter()
    chats = seed(db, collectors)
    print(
        f"seeded {collectors} collectors, 8 cases each, in {time.perf_counter() - t:.1f} s "
        f"({db.engine.dialect.name})"
    )
    settings = load_settings(_env_file=None, DATABASE_URL=url)
    ctx = AppContext(settings, db, FrozenClock(NOW))
    spec = get_job("morning_plan")
    figs: list[Figure] = []

    # 0 + 1. No rate limit. The fan-out (build + queue) runs in a thread while the outbox
    # worker delivers what is queued, as the bot does (the scheduler runs the job, the worker
    # sends) — one Bot, one keep-alive pool for the whole run, as in `coachbot run`.
    with RemoteSink() as sink:
        sample = "📋 <b>今日计划 2026-03-02</b>\n" + "• <code>C0000011</code> ¥14,000\n" * 12
        raw_rate, raw_cpu = asyncio.run(
            raw_baseline(sink.base_url, min(collectors, 3000), concurrency, sample)
        )
        httpx.get(f"{sink.base_url}0/reset", timeout=30)
        print(f"baseline: bare sendMessage loop {raw_rate:.0f} msg/s ({raw_cpu:.0f} per CPU-s)")

        async def pipeline() -> tuple[float, float, int, float]:
            t0, cpu0 = time.perf_counter(), time.process_time()
            build_s = 0.0

            def fan_out() -> None:
                nonlocal build_s
                for b in ctx.call(all_branches):
                    run_job(ctx, spec, b, force=True)
                build_s = time.perf_counter() - t0

            job = asyncio.create_task(asyncio.to_thread(fan_out))
            sent = 0
            async with sender_bot(sink.base_url, concurrency) as bot:
                while True:  # the bot's outbox loop: a round, then a short wait
                    done = job.done()
                    sent += await outbox.deliver_due(
                        bot, ctx, pacer=outbox.Pacer(0, 0), concurrency=concurrency
                    )
                    if done:
                        break
                    await asyncio.sleep(0.05)
            await job
            return build_s, time.perf_counter() - t0, sent, time.process_time() - cpu0

        t_build, total, sent, cpu_s = asyncio.run(pipeline())
        st = sink.stats()
        lost = len(set(chats) - {int(c) for c in st["per_chat"]})
        rate = sent / total
        print(
            f"built+queued {collectors} plans in {t_build:.1f} s "
            f"(while sending): {collectors / t_build:.0f} plans/s"
        )
        print(f"built and sent {sent} plans in {total:.1f} s: {rate:.0f} plans/s")
        print(f"bot process CPU {cpu_s:.1f} s = {sent / cpu_s:.0f} plans per CPU-second")
        print(f"duplicates: {st['duplicates']}, losses: {lost}")
        base = dict(baseline=raw_rate, baseline_name="bare sendMessage loop, same sink")
        figs += [
            at_least("fan-out built+sent, unthrottled, 1 core", rate, "plans/s", 300, **base),
            at_least(
                "fan-out per CPU-second (bot process)",
                sent / cpu_s,
                "plans/CPU-s",
                300,
                baseline=raw_cpu,
                baseline_name="bare loop per CPU-s",
            ),
            at_most("fan-out duplicates + losses", st["duplicates"] + lost, "msgs", 0),
        ]

    # 2. Worker processes sharing the build and the sends: 1, then `workers`.
    if workers > 1 and db.engine.dialect.name == "postgresql":
        figs += scaling(ctx, url, workers, concurrency, all_cpus, sent, rate, raw_rate)
    elif workers > 1:
        print("worker scaling skipped: SQLite has one writer (set --db to a PostgreSQL URL)")

    # 3. Telegram's limits, bounded time: another day's plans.
    ctx.clock.set(NOW + timedelta(days=4))
    for b in ctx.call(all_branches):
        run_job(ctx, spec, b, force=True)
    with RemoteSink() as sink:

        async def bounded() -> None:
            # Stopped as the bot stops on SIGTERM: drain, so what the sink accepted is recorded.
            task = asyncio.create_task(
                deliver(ctx, sink.base_url, outbox.Pacer(30, 1.0), concurrency)
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), rate_seconds)
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
        figs.append(at_least("paced to Telegram's 30/s", rate, "msg/s", 28.5))
    figs.append(group_pacing(ctx, group_seconds, concurrency))
    db.dispose()
    return figs


def scaling(
    ctx: AppContext,
    url: str,
    workers: int,
    concurrency: int,
    cpus: list[int],
    plans: int,
    one_core: float,
    raw_rate: float,
) -> list[Figure]:
    """The next days' plans built and sent by 1, then `workers`, bot processes sharing the
    chunks and the chats (bench/_fanout_workers.py): aggregate wall rate and plans per
    CPU-second of the bot processes."""
    results = []
    for day, n in enumerate(sorted({1, workers}), start=1):
        with RemoteSink() as sink:
            when = NOW + timedelta(days=day)
            r = run_workers(url, sink.base_url, when, n, plans, concurrency, cpus)
        results.append(r)
        db_cpu = ""
        if r.pg_cpu_s is not None:
            db_cpu = f"; + PostgreSQL {r.pg_cpu_s:.1f} s = {r.per_cpu_with_db:.0f} per CPU-second"
        print(
            f"{n} worker process(es): {r.plans} plans built and sent in {r.wall_s:.1f} s = "
            f"{r.rate:.0f}/s; bot CPU {r.cpu_s:.1f} s = {r.per_cpu:.0f} plans per CPU-second"
            f"{db_cpu}; chunks built by helpers {r.built}, sent per process {r.sent}, "
            f"duplicates {r.duplicates}"
        )
    one, many = results[0], results[-1]
    cores = len(cpus) or 1
    need = 1000 / many.per_cpu
    with_db = (
        f" and {1000 / many.per_cpu_with_db:.1f} with PostgreSQL's share"
        if many.per_cpu_with_db
        else ""
    )
    print(
        f"scaling 1 -> {many.workers} processes: {many.rate / one.rate:.2f}x wall; "
        f"per CPU-second {one.per_cpu:.0f} -> {many.per_cpu:.0f}. On {cores} cores shared with "
        f"the sink and PostgreSQL; 1,000/s needs about {need:.1f} free cores of bot "
        f"processes{with_db}."
    )
    base = dict(baseline=raw_rate, baseline_name="bare sendMessage loop, same sink")
    return [
        at_least(
            f"fan-out with {many.workers} worker processes (build + send shared)",
            many.rate,
            "plans/s",
            1000,
            note=f"{cores} cores shared with the sink and PostgreSQL; 1 process "
            f"{one.rate:.0f}/s; one-core figure {one_core:.0f}/s",
            **base,
        ),
        info(
            f"fan-out per CPU-second, {many.workers} worker processes",
            many.per_cpu,
            "plans/CPU-s",
            note=f"1 process: {one.per_cpu:.0f}; 1,000/s needs ~{need:.1f} cores of bot processes",
        ),
        at_most(
            f"fan-out duplicates, {many.workers} worker processes",
            sum(r.duplicates for r in results),
            "msgs",
            0,
        ),
    ]


def figures(quick: bool) -> list[Figure]:
    """For bench/run_all.py: 2,000 collectors quick, 10,000 full."""
    if quick:
        return run(2_000, 5, 30, db_url=bench_database_url())
    return run(10_000, 60, 30, db_url=bench_database_url())


def main() -> None:
    if "--faults" in sys.argv:  # the fault campaign has its own options and exit status
        sys.argv.remove("--faults")
        from bench.outbox_faults import main as faults

        raise SystemExit(faults())
    ap = argparse.ArgumentParser()
    ap.add_argument("--collectors", type=int, default=10_000)
    ap.add_argument("--rate-seconds", type=float, default=60)
    ap.add_argument("--group-seconds", type=float, default=30, help="bounded group-pacing run")
    # A few keep-alive connections to a local sink are fastest (Telegram's real latency
    # needs more).
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument(
        "--db",
        default=None,
        help="database URL (default: a temporary SQLite file); its tables are dropped first",
    )
    ap.add_argument("--no-pin", action="store_true", help="do not pin the bot to one core")
    ap.add_argument(
        "--workers", type=int, default=2, help="bot processes sharing a run (PostgreSQL only)"
    )
    a = ap.parse_args()
    if a.group_seconds < 15:  # a group gets one message per 3 s: a few would measure nothing
        ap.error("--group-seconds must be at least 15 (20 msg/min per group needs a longer run)")
    figs = run(
        a.collectors,
        a.rate_seconds,
        a.group_seconds,
        concurrency=a.concurrency,
        db_url=a.db,
        pin=not a.no_pin,
        workers=a.workers,
    )
    for f in figs:
        ratio = f" ({f.ratio:.2f}x {f.baseline_name})" if f.ratio is not None else ""
        print(f"  {f.name}: {f.value:.2f} {f.unit}{ratio}; target {f.target}")


GROUPS = (-1001000000901, -1001000000902, -1001000000903)


def group_pacing(ctx: AppContext, group_seconds: float, concurrency: int) -> Figure:
    """3. The configured limits (pacer_for: overall rate, 1/s per private chat, 20/min per
    group) on a mixed queue — 40 messages to each of 3 groups and 300 private ones — for a
    bounded time: messages per minute per group and the overall rate."""
    # Real time from here: rows a chat's limit holds back come due as the clock runs.
    ctx.clock = AnchoredClock(NOW + timedelta(days=5))
    now = ctx.clock.now()

    def queue(s: Session) -> None:
        # The plans the bounded 30/s run left unsent are not part of this figure (sending
        # them first at 25/s took minutes at 10,000 collectors).
        s.execute(
            update(Outbox)
            .where(Outbox.status.in_(("pending", "sending")))
            .values(status="skipped", last_error="bench: left by an earlier run")
        )
        rows = [
            dict(key=f"g:{g}:{i}", kind="bench", chat_id=g, payload={"text": f"g{i}"})
            for g in GROUPS
            for i in range(40)
        ] + [
            dict(key=f"p:{i}", kind="bench", chat_id=20_000_000 + i, payload={"text": "p"})
            for i in range(300)
        ]
        outbox.enqueue_many(s, rows, now=now)

    ctx.call(queue)
    with RemoteSink() as sink:

        async def bounded() -> None:
            pacer = outbox.pacer_for(ctx)  # one pacer for the run, as the bot's worker keeps
            end = time.monotonic() + group_seconds
            ctx.extras.pop("outbox_worker", None)  # the earlier run's drain stopped it
            while time.monotonic() < end:  # the bot's outbox loop: a round, then a short wait
                await deliver(ctx, sink.base_url, pacer, concurrency)
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
        f"group pacing over {group_seconds:.0f} s: "
        + ", ".join(f"{m:.1f}" for m in per_min)
        + f" msg/min per group (limit {limit:.0f}; ratio {max(per_min) / limit:.2f}); "
        f"overall {overall:.1f} msg/s (limit {ctx.settings.outbox_rate:.0f})"
    )
    return at_most("group pacing, busiest group", max(per_min), "msg/min", limit)


if __name__ == "__main__":
    main()
