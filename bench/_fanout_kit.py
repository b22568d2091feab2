"""The fan-out benchmark's organisation and plumbing (bench/fanout.py, bench/memory.py):
seeding N bound collectors with cases and calls, the Bot API sink in its own process, the
sender Bot `coachbot run` uses, and the bare sendMessage baseline."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from telegram import Bot

from bot import outbox
from bot.context import AppContext
from bot.transport.aiohttp_request import AiohttpRequest
from db.models import Branch, Call, Case, Employee, EmployeeRole, TelegramBinding
from db.session import Database

ROOT = Path(__file__).resolve().parents[1]

NOW = datetime(2026, 3, 2, 0, 40, tzinfo=UTC)  # Monday 08:40 Shanghai
BRANCHES = (("SH", "Asia/Shanghai", "zh_CN"), ("JKT", "Asia/Jakarta", "en"))
BRANCHES += (("SH2", "Asia/Shanghai", "zh_CN"), ("JKT2", "Asia/Jakarta", "en"))
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


def seed(
    db: Database,
    n: int,
    *,
    branches_of: tuple[tuple[str, str, str], ...] = BRANCHES,
    cases: int = 8,
    calls: bool = True,
    bound_at: datetime = NOW,
) -> list[int]:
    """`n` bound collectors spread over `branches_of` (code, timezone, locale), `cases` cases
    each (the last one a target) and, with `calls`, a call on every other case; their chat
    ids. The firm of tests/process/test_run_fanout_workers.py too."""
    with db.session() as s:
        branches = [Branch(code=c, name=c, timezone=tz, locale=loc) for c, tz, loc in branches_of]
        s.add_all(branches)
        s.flush()
        s.execute(
            insert(Employee),
            [
                dict(
                    employee_no=f"B{i:06d}",
                    name=f"n{i}",
                    branch_id=branches[i % len(branches)].id,
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
                    bound_at=bound_at,
                    active=True,
                )
                for i in ids
            ],
        )
        rows = []
        for i in ids:
            for k in range(cases):
                rows.append(
                    dict(
                        case_ref=f"C{i:06d}{k}",
                        collector_id=i,
                        debtor_key=f"{i}-{k}",
                        amount_owed=Decimal(5_000 + 9_000 * k),
                        days_overdue=10 * k + 1,
                        bucket="M1",
                        is_target=k == cases - 1,
                        is_instalment=False,
                        product="",
                        region="",
                        assigned_on=date(2026, 1, 5),
                    )
                )
        s.execute(insert(Case), rows)
        if calls:
            _seed_calls(s)
    return [10_000_000 + i for i in ids]


def _seed_calls(s: Session) -> None:
    """A call on every other case, in the nine days before NOW."""
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


async def deliver(ctx: AppContext, base_url: str, pacer: outbox.Pacer, concurrency: int) -> int:
    async with sender_bot(base_url, concurrency) as bot:
        return await outbox.deliver_due(bot, ctx, pacer=pacer, concurrency=concurrency)


def sender_bot(base_url: str, concurrency: int) -> Bot:
    """A Bot with the HTTP layer `coachbot run` uses (one keep-alive pool for the run)."""
    return Bot("123:BENCH", base_url=base_url, request=AiohttpRequest(concurrency))


async def raw_baseline(base_url: str, n: int, concurrency: int, text: str) -> tuple[float, float]:
    """(messages/s, messages per CPU-second) of a bare sendMessage loop: no database, no
    plans, one keep-alive pool — what the sink and the wire allow."""
    import aiohttp

    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as cl:

        async def one(i: int) -> None:
            async with sem:
                body = {"chat_id": 90_000_000 + i, "text": text, "parse_mode": "HTML"}
                async with cl.post(f"{base_url}123:RAW/sendMessage", json=body) as r:
                    await r.read()

        t0, c0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(i) for i in range(n)))
        return n / (time.perf_counter() - t0), n / max(time.process_time() - c0, 1e-9)


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
