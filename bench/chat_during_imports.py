"""Chat replies while imports run: p50/p95 reply time of `/help` with 8 concurrent HTTP imports.

    .venv/bin/python bench/chat_during_imports.py --rows 20000 \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test_harden [--pool default]

One event loop holds what `coachbot run` holds: the PTB Application (driven by the local Bot
API) and the Starlette app under uvicorn. 8 clients POST call files to the ingest API at once
while a bound collector sends `/help` every 100 ms; the time from update to reply is measured.
`--pool default` runs imports the pre-issue-18 way (asyncio's default executor, shared with
chat database work) for comparison. PostgreSQL runs in the schema `chat_bench` (dropped first).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import uvicorn
from ingest import generate, seed_org  # bench/ingest.py
from sqlalchemy import select, text

import bot.ingest_api as ingest_api
from bot.context import AppContext
from bot.settings import load_settings
from bot.transport.localchat import LocalChat
from bot.web import build_web_app
from coaching import people
from coaching.clock import SystemClock
from db.models import Base, Employee
from db.session import Database

USER = 9001


def database(url: str | None, tmp: Path) -> tuple[Database, str]:
    if not url:
        u = f"sqlite:///{tmp / 'chat.db'}"
        return Database(u), u
    settings = load_settings(_env_file=None, DATABASE_URL=url)
    db = Database(settings.database_url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS chat_bench CASCADE"))
        conn.execute(text("CREATE SCHEMA chat_bench"))
    db.dispose()
    sep = "&" if "?" in settings.database_url else "?"
    u = f"{settings.database_url}{sep}options=-csearch_path%3Dchat_bench"
    return Database(u), u


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="chatbench"))
    db, url = database(args.pg_url, tmp)
    Base.metadata.create_all(db.engine)
    settings = load_settings(
        _env_file=None,
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=None,
        OPENAI_API_KEY=None,
        COACHBOT_INGEST_MAX_BYTES=str(200_000_000),
    )
    seed_org(db, settings.pii_hmac_key)
    ctx = AppContext(settings=settings, db=db, clock=SystemClock())
    with db.session() as s:
        emp = s.execute(select(Employee).where(Employee.employee_no == "C0001")).scalar_one()
        people.bind(s, emp, USER, USER, datetime.now(UTC))
        _, token = ingest_api.create_token(s, "bench", "ingest", datetime.now(UTC))
    files = []
    for i in range(args.imports):
        p = tmp / f"calls{i}.csv"
        generate(p, args.rows, seed=100 + i)
        files.append(p.read_bytes())
    if args.pool == "default":  # the old way: imports share the chat's executor
        ingest_api.run_import_job = lambda _w, fn, *a: asyncio.to_thread(fn, *a)  # type: ignore[assignment]

    server = uvicorn.Server(
        uvicorn.Config(
            build_web_app(ctx), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
        )
    )
    serve = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]

    async with LocalChat(ctx) as chat:

        async def one() -> float:
            t0 = time.perf_counter()
            replies = await chat.send(USER, "/help")
            assert replies, "no reply"
            return time.perf_counter() - t0

        idle = [await one() for _ in range(20)]
        async with httpx.AsyncClient(timeout=3600) as client:

            async def post(body: bytes) -> float:
                t0 = time.perf_counter()
                r = await client.post(
                    f"http://127.0.0.1:{port}/api/v1/ingest/calls",
                    content=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
                )
                assert r.status_code == 200, r.text[:300]
                return time.perf_counter() - t0

            t0 = time.perf_counter()
            imports = asyncio.gather(*(post(b) for b in files))
            busy: list[float] = []
            while not imports.done():
                busy.append(await one())
                await asyncio.sleep(0.1)
            took = await imports
            wall = time.perf_counter() - t0
    server.should_exit = True
    await serve
    print(
        f"{'postgresql' if args.pg_url else 'sqlite'} pool={args.pool} "
        f"workers={settings.import_workers}: {args.imports} imports × {args.rows} rows "
        f"in {wall:.1f} s (each {min(took):.1f}–{max(took):.1f} s)"
    )
    p50, p95 = statistics.median(idle) * 1000, pct(idle, 95) * 1000
    print(f"  /help idle:           p50 {p50:6.0f} ms  p95 {p95:6.0f} ms")
    print(
        f"  /help during imports: p50 {statistics.median(busy) * 1000:6.0f} ms  "
        f"p95 {pct(busy, 95) * 1000:6.0f} ms  max {max(busy) * 1000:6.0f} ms  ({len(busy)} replies)"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=20_000, help="rows per import file")
    ap.add_argument("--imports", type=int, default=8)
    ap.add_argument("--pg-url", default=None)
    ap.add_argument("--pool", choices=["import", "default"], default="import")
    asyncio.run(main(ap.parse_args()))
