"""Benchmark: a whole drill against any OpenAI-compatible endpoint, with per-purpose figures.

Runs the real Application over the local Bot API and a throw-away SQLite database: N
collector turns (guard check + debtor reply each), /end (grading, one call per criterion and
one for the summary) and /coach (tips). Prints per purpose: calls, retries, response-format
fallbacks, failures, seconds (total and per call) and tokens (the server's usage when it
reports it, else the estimate), then the negotiated response format and what was stored.

    .venv/bin/python bench/llm_e2e.py --base-url http://127.0.0.1:8080/v1 --model smollm2
    .venv/bin/python bench/llm_e2e.py --double schema_500,cut_streams   # the local double
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.figure import Figure  # noqa: E402
from bot.context import AppContext  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.transport.localapi import LocalBotApi  # noqa: E402
from bot.transport.localchat import LocalChat  # noqa: E402
from coaching.clock import FrozenClock  # noqa: E402
from coaching.llm import formats, get_llm  # noqa: E402
from db.session import Database  # noqa: E402
from tests import factories as f  # noqa: E402
from tests.conftest import T0  # noqa: E402

LINES = [
    "您好，我是XX资产管理公司的专员，受银行委托联系您，通话会录音。",
    "我理解您最近不容易，方便说说现在的工作和收入情况吗？",
    "除去房租和生活费，您每个月大概能拿出多少来还款？",
    "家里有没有其他人可以帮忙分担一部分？",
    "我们可以申请分期，您看每月还1000元，15号开始，可以吗？",
    "好的，那我们就定15号先还1000元，我到时候提前一天提醒您。",
]


async def run(
    base_url: str, model: str, api_key: str, turns: int, scenario: str, tokenizer: str = "auto"
) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-llm-e2e-"))
    url = f"sqlite:///{tmp / 'e2e.db'}"
    db = Database(url)
    db.create_all()
    settings = load_settings(
        _env_file=None,
        DATABASE_URL=url,
        OPENAI_BASE_URL=base_url,
        OPENAI_API_KEY=api_key,
        COACHBOT_LLM_MODEL=model,
        COACHBOT_LLM_TOKENIZER=tokenizer,
        COACHBOT_ROLEPLAY_TURN_LIMIT=max(turns + 1, 2),
        COACHBOT_OUTPUT_DIR=str(tmp / "out"),
    )
    ctx = AppContext(settings=settings, db=db, clock=FrozenClock(T0))
    tag = secrets.token_hex(3).upper()
    user = 900_000_000 + secrets.randbelow(99_999_999)
    with db.session() as s:
        b = f.branch(s, code=f"B{tag}")
        e = f.employee(s, f"E2E{tag}", b, "collector", team=f.team(s, b, code=f"T{tag}"))
        f.bind(s, e, user, T0)
    llm = get_llm(ctx)
    assert llm is not None
    api = LocalBotApi()
    t_start = time.perf_counter()
    async with LocalChat(ctx, api, settle_timeout=None) as chat:
        await chat.send(user, f"/roleplay {scenario}")
        for i in range(turns):
            t0 = time.perf_counter()
            sent = await chat.send(user, LINES[i % len(LINES)])
            last = sent[-1].text.replace("\n", " ")[:70] if sent else ""
            print(f"turn {i + 1}: {time.perf_counter() - t0:6.1f} s  {last}", flush=True)
            if "通话结束" in " ".join(m.text for m in sent):
                break
        t0 = time.perf_counter()
        sent = await chat.send(user, "/end")
        print(f"/end: {time.perf_counter() - t0:6.1f} s", flush=True)
        t0 = time.perf_counter()
        tips = await chat.send(user, "/coach")
        print(f"/coach: {time.perf_counter() - t0:6.1f} s", flush=True)
    from sqlalchemy import select

    from db.models import CoachTip, Drill, DrillTurn

    with db.session() as s:
        d = s.execute(select(Drill)).scalars().first()
        assert d is not None
        turns_ = list(s.execute(select(DrillTurn)).scalars())
        checks = [v for t in turns_ for v in t.violations or []]
        tip = s.execute(select(CoachTip)).scalars().first()
        stored = {
            "status": d.status,
            "graded_by": d.graded_by,
            "total": d.total,
            "passed": d.passed,
            "report": d.report,
            "llm_findings": [v for v in checks if v["layer"] == "llm"],
            "collector_lines": sum(1 for t in turns_ if t.speaker == "collector"),
            "tips": {"source": tip.source, "tips": tip.tips} if tip else None,
        }
    stats = {k: dict(v.__dict__) for k, v in llm.stats.items()}
    await llm.close()
    return {
        "wall_s": round(time.perf_counter() - t_start, 1),
        "stats": stats,
        "formats": {f"{k[0]} {k[1]}": v for k, v in formats().items()},
        "tokenizer": llm.counter.name,
        "stored": stored,
        "last_messages": [m.text[:200] for m in [*sent[-1:], *tips[-1:]]],
    }


def report(result: dict) -> None:
    print()
    print(
        f"{'purpose':<15}{'calls':>6}{'valid':>6}{'retries':>8}{'fallb.':>7}{'fail':>5}"
        f"{'total s':>9}{'s/call':>8}{'tok in':>8}{'tok out':>8}"
    )
    for purpose, v in sorted(result["stats"].items()):
        per = v["seconds"] / v["calls"] if v["calls"] else 0.0
        print(
            f"{purpose:<15}{v['calls']:>6}{v['valid']:>6}{v['retries']:>8}{v['fallbacks']:>7}"
            f"{v['failures']:>5}{v['seconds']:>9.1f}{per:>8.1f}{v['prompt_tokens']:>8}"
            f"{v['completion_tokens']:>8}"
        )
    print(f"\nwall: {result['wall_s']} s")
    print("response formats:", json.dumps(result["formats"], ensure_ascii=False))
    print("prompt tokens counted with:", result.get("tokenizer", "?"))
    print("stored:", json.dumps(result["stored"], ensure_ascii=False, default=str, indent=1))


def figures(quick: bool) -> list[Figure]:
    """For bench/run_all.py. With COACHBOT_BENCH_LLM_BASE_URL (and COACHBOT_BENCH_LLM_MODEL)
    the drill runs against that endpoint (2 turns quick, 6 full) and must end graded by the
    model with valid content (issue #16); without it, against the built-in LLM double, whose
    canned answers say nothing about a model: info figures only (the plumbing's cost)."""
    import os

    from bench.figure import at_least, info

    base_url = os.environ.get("COACHBOT_BENCH_LLM_BASE_URL")
    model = os.environ.get("COACHBOT_BENCH_LLM_MODEL", "gpt-4o-mini")
    api_key = os.environ.get("COACHBOT_BENCH_LLM_API_KEY", "not-needed")
    double = None
    if not base_url:
        from tests.llm_double import LLMDouble, demo_reply

        double = LLMDouble(responder=demo_reply).start()
        base_url = double.url
    turns = 2 if quick and double is None else 6
    try:
        result = asyncio.run(run(base_url, model, api_key, turns, "no_money"))
    finally:
        if double is not None:
            double.stop()
    report(result)
    where = "LLM double" if double is not None else model
    out: list[Figure] = []
    for purpose, v in sorted(result["stats"].items()):
        per = v["seconds"] / v["calls"] if v["calls"] else 0.0
        out.append(
            info(
                f"{purpose}: s per call ({where})",
                per,
                "s",
                note=f"{v['calls']} calls, {v['retries']} retries, {v['failures']} failures",
            )
        )
    graded = float(
        result["stored"]["graded_by"] == "llm" and result["stored"]["report"] is not None
    )
    name = f"drill graded by the model ({where}, 1 = yes)"
    out.append(at_least(name, graded, "", 1) if double is None else info(name, graded, ""))
    out.append(info(f"whole {turns}-turn drill, grading and tip ({where})", result["wall_s"], "s"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-url", help="an OpenAI-compatible endpoint, e.g. .../v1")
    ap.add_argument("--model", default="gpt-4o-mini")
    ap.add_argument("--api-key", default="not-needed")
    ap.add_argument("--turns", type=int, default=6)
    ap.add_argument("--scenario", default="no_money")
    ap.add_argument("--tokenizer", default="auto", help="auto, estimate or an encoding name")
    ap.add_argument(
        "--double", metavar="BEHAVIOURS", help="start the local double (comma-separated)"
    )
    args = ap.parse_args()
    double = None
    base_url = args.base_url
    if args.double is not None or not base_url:
        from tests.llm_double import LLMDouble, demo_reply

        behaviours = {b for b in (args.double or "").split(",") if b}
        double = LLMDouble(responder=demo_reply, behaviours=behaviours).start()
        base_url = double.url
    try:
        report(
            asyncio.run(
                run(base_url, args.model, args.api_key, args.turns, args.scenario, args.tokenizer)
            )
        )
    finally:
        if double is not None:
            double.stop()


if __name__ == "__main__":
    main()
