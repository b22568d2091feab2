"""A bot process for the kill-and-restart test: run the morning fan-out for every branch,
then deliver the outbox to a Bot API over HTTP. Prints progress lines the test waits for.

python -m tests.plans_fanout_worker --db URL --base-url URL --now ISO [--chunk N]
    [--pause-after-chunks N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import datetime

from telegram import Bot

import bot.jobs.plans as plan_jobs
import coaching.plans.build as build
from bot import outbox
from bot.context import AppContext
from bot.jobs import get_job, run_job
from bot.settings import load_settings
from coaching.calendar import all_branches
from coaching.clock import FrozenClock
from db.session import Database


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--now", required=True)
    ap.add_argument("--chunk", type=int, default=500)
    ap.add_argument("--pause-after-chunks", type=int, default=0)
    a = ap.parse_args()
    build.CHUNK = plan_jobs.CHUNK = a.chunk
    settings = load_settings(
        _env_file=None,
        DATABASE_URL=a.db,
        TELEGRAM_BOT_TOKEN="123:TEST",
        TELEGRAM_API_BASE_URL=a.base_url,
        COACHBOT_FANOUT_CHUNK=a.chunk,
    )
    ctx = AppContext(settings, Database(a.db), FrozenClock(datetime.fromisoformat(a.now)))
    real = outbox.enqueue_many
    chunks = 0

    def counting(*args, **kw):  # type: ignore[no-untyped-def]
        nonlocal chunks
        n = real(*args, **kw)
        chunks += 1
        print(f"CHUNK {chunks} {n}", flush=True)
        return n

    def pause_after_commit(*args, **kw):  # type: ignore[no-untyped-def]
        r = ctx_call(*args, **kw)
        if a.pause_after_chunks and chunks >= a.pause_after_chunks:
            print("PAUSED", flush=True)
            time.sleep(3600)  # the test kills us here
        return r

    outbox.enqueue_many = counting  # type: ignore[assignment]
    ctx_call = ctx.call
    ctx.call = pause_after_commit  # type: ignore[method-assign]
    spec = get_job("morning_plan")
    for b in ctx_call(all_branches):
        print(f"JOB {b.code} {run_job(ctx, spec, b, fire_time=ctx.clock.now())}", flush=True)
    print("ENQUEUED", flush=True)

    async def deliver() -> int:
        async with Bot(settings.telegram_bot_token or "", base_url=a.base_url) as bot:
            return await outbox.deliver_due(bot, ctx, pacer=outbox.Pacer(200, 0), concurrency=4)

    print(f"DONE {asyncio.run(deliver())}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
