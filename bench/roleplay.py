"""Benchmark: a 20-turn role-play drill against the local OpenAI-compatible double.

Runs the real PTB Application over the local Bot API, a real SQLite (or PostgreSQL) database
and real HTTP to the LLM double, and prints per turn:
- the debtor prompt's size in tokens (target ≤ 2,000 at turn 20): tiktoken when the model's
  encoding is cached, else the estimate of `coaching.llm_budget.estimate_tokens` (sized on a
  small model's BPE tokenizer; GPT-4o / Qwen / DeepSeek tokenizers need fewer), +4 per message;
- the bot's own overhead per turn excluding LLM time (target ≤ 30 ms): the turn's wall time
  minus the time the LLM client spent waiting for the server (`LLMClient.busy_s`).

    .venv/bin/python bench/roleplay.py [--turns 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.figure import Figure  # noqa: E402
from bot.context import AppContext  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.transport.localchat import LocalChat  # noqa: E402
from coaching.clock import FrozenClock  # noqa: E402
from coaching.llm import SentPrompt, get_llm  # noqa: E402
from db.session import Database  # noqa: E402
from tests import factories as f  # noqa: E402
from tests.conftest import T0  # noqa: E402

LINES = [
    "吴女士您好，我是XX资产管理公司的专员，受银行委托联系您，通话会录音。",
    "我理解您一个人扛着很辛苦，方便说说您现在每个月的收入大概多少吗？",
    "除去房租和生活费，您每个月大概能拿出多少来还款？",
    "家里有没有其他人可以帮忙分担一部分？",
    "我们可以申请分期，首付不低于总额的5%，期数最多36期，您看怎么安排合适？",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_double() -> tuple[subprocess.Popen, str]:
    """The LLM double in its own process, so its CPU time is not counted as the bot's."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.llm_double", "--port", str(port), "--replies", "bench"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://127.0.0.1:{port}/v1"
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("LLM double did not start")


async def run(turns: int, database_url: str | None) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-roleplay-"))
    url = database_url or f"sqlite:///{tmp / 'bench.db'}"
    db = Database(load_settings(_env_file=None, DATABASE_URL=url).database_url)
    db.create_all()
    proc, llm_url = _start_double()
    try:
        settings = load_settings(
            _env_file=None,
            DATABASE_URL=url,
            OPENAI_BASE_URL=llm_url,
            OPENAI_API_KEY="bench",
            COACHBOT_LLM_MAX_RETRIES=0,
            COACHBOT_ROLEPLAY_TURN_LIMIT=turns + 5,
            COACHBOT_OUTPUT_DIR=str(tmp / "out"),
        )
        ctx = AppContext(settings=settings, db=db, clock=FrozenClock(T0))
        # Fresh names, so an existing (test) database can be used without clashes.
        tag = secrets.token_hex(3).upper()
        user = 900_000_000 + secrets.randbelow(99_999_999)
        with db.session() as s:
            b = f.branch(s, code=f"B{tag}")
            e = f.employee(s, f"BENCH{tag}", b, "collector", team=f.team(s, b, code=f"T{tag}"))
            f.bind(s, e, user, T0)
        llm = get_llm(ctx)
        assert llm is not None
        prompts: list[SentPrompt] = []
        llm.on_prompt.append(prompts.append)
        async with LocalChat(ctx) as chat:
            await chat.send(user, "/roleplay instalment_m6")
            print(
                f"{'turn':>4} {'debtor prompt tok':>18} {'turn ms':>8} {'LLM ms':>7} "
                f"{'bot ms':>7} {'bot CPU ms':>10}"
            )
            overheads, cpus, debtor_tokens = [], [], []
            for i in range(turns):
                busy0 = llm.busy_s
                t0, c0 = time.perf_counter(), time.process_time()
                await chat.send(user, LINES[i % len(LINES)])
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                llm_s = llm.busy_s - busy0
                overheads.append((wall - llm_s) * 1000)
                cpus.append(cpu * 1000)
                debtor_tokens.append([p.tokens for p in prompts if p.purpose == "debtor"][-1])
                print(
                    f"{i + 1:>4} {debtor_tokens[-1]:>18} {wall * 1000:>8.1f} "
                    f"{llm_s * 1000:>7.1f} {overheads[-1]:>7.1f} {cpus[-1]:>10.1f}"
                )
            t0 = time.perf_counter()
            await chat.send(user, "/end")
            grade_ms = (time.perf_counter() - t0) * 1000
        await llm.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print()
    print(f"debtor prompt at turn {turns}: {debtor_tokens[-1]} tokens (max {max(debtor_tokens)})")
    print(
        f"bot overhead per turn excl. LLM wait: median {statistics.median(overheads):.1f} ms, "
        f"p90 {sorted(overheads)[int(len(overheads) * 0.9) - 1]:.1f} ms, "
        f"max {max(overheads):.1f} ms"
    )
    print(
        "bot process CPU per turn (incl. the openai SDK's own work, excl. the LLM server): "
        f"median {statistics.median(cpus):.1f} ms"
    )
    by_purpose: dict[str, list[int]] = {}
    for p in prompts:
        by_purpose.setdefault(p.purpose, []).append(p.tokens)
    print(
        "prompts sent: "
        + ", ".join(f"{k} x{len(v)} (max {max(v)} tok)" for k, v in sorted(by_purpose.items()))
    )
    print(f"/end with grading: {grade_ms:.0f} ms wall")
    return {
        "tokens_last": debtor_tokens[-1],
        "tokens_max": max(debtor_tokens),
        "overhead_ms": statistics.median(overheads),
        "cpu_ms": statistics.median(cpus),
        "grade_ms": grade_ms,
        "counter": llm.counter.name,
    }


def figures(quick: bool) -> list[Figure]:
    """For bench/run_all.py: the 20-turn drill either way (seconds against the double);
    PostgreSQL when COACHBOT_BENCH_DATABASE_URL is set. Targets: issue #22 (≤ 2,000 prompt
    tokens at turn 20) and this script's ≤ 30 ms of bot overhead per turn."""
    from bench.figure import at_most, bench_database_url, info

    turns = 20
    r = asyncio.run(run(turns, bench_database_url()))
    return [
        at_most(
            f"debtor prompt at turn {turns}",
            r["tokens_last"],
            "tokens",
            2000,
            note=f"counted with {r['counter']}",
        ),
        at_most("bot overhead per turn excl. LLM wait (median)", r["overhead_ms"], "ms", 30),
        info("bot CPU per turn (median)", r["cpu_ms"], "ms"),
        info("/end with grading (LLM double)", r["grade_ms"], "ms"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=20)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    asyncio.run(run(args.turns, args.database_url))


if __name__ == "__main__":
    main()
