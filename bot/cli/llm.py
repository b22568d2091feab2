"""`coachbot llm check` — what the configured LLM server can do (response format, streams,
latency and tokens per call); `coachbot drills regrade` — grade drills left waiting because
the LLM was down or its answers failed their checks."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from bot.settings import get_settings

out = Console()
err = Console(stderr=True)


async def llm_check(settings: Any) -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
    """Run one plain call, one stream and one structured call; rows of (step, result, detail)
    and the client's per-purpose stats. Raises nothing: failures are rows."""
    from coaching.llm import LLMClient, LLMUnavailable, MalformedOutput, StreamCut, formats
    from coaching.roleplay.grading import ComplianceVerdict

    llm = LLMClient(settings)
    rows: list[tuple[str, str, str]] = []
    hello = [{"role": "user", "content": "用一句中文打个招呼。"}]
    try:
        t0 = time.perf_counter()
        text = await llm.complete("check", hello, max_tokens=40)
        rows.append(("plain", "ok", f"{time.perf_counter() - t0:.1f} s: {text.strip()[:60]}"))
        t0 = time.perf_counter()
        parts = [p async for p in llm.stream("check", hello, max_tokens=40)]
        rows.append(("stream", "ok", f"{time.perf_counter() - t0:.1f} s, {len(parts)} chunks"))
    except StreamCut:
        rows.append(("stream", "cut", "ended without a finish reason"))
    except LLMUnavailable as exc:
        rows.append(("reachable", "FAILED", exc.kind))
        await llm.close()
        return rows, {}
    from coaching.roleplay.prompting import render_prompt

    verdict = [
        {
            "role": "system",
            "content": render_prompt("compliance_check", third_party=False, crisis=False),
        },
        {"role": "user", "content": "Collector's line:\n<<<您好，请问现在方便说话吗？>>>"},
    ]
    try:
        t0 = time.perf_counter()
        await llm.structured("check", verdict, ComplianceVerdict)
        rows.append(("structured", "ok", f"{time.perf_counter() - t0:.1f} s"))
    except (LLMUnavailable, MalformedOutput) as exc:
        rows.append(("structured", "FAILED", str(exc)[:120]))
    info = formats().get(llm.key, {})
    failed = ", ".join(f"{m}: {why}" for m, why in info.get("failed", {}).items()) or "none"
    mode = llm.mode or "none yet (no valid answer)"
    rows.append(("response format", mode, f"failed: {failed}"))
    await llm.close()
    return rows, {k: v.__dict__ for k, v in llm.stats.items()}


async def regrade(ctx: Any, drill_ids: list[int] | None) -> list[tuple[int, str]]:
    """Grade every drill waiting for its report (or the given ones); (id, result) each."""
    from sqlalchemy import select

    from bot.app import close_services
    from coaching.llm import LLMUnavailable
    from coaching.roleplay.engine import get_engine
    from db.models import Drill, Employee
    from db.models.coaching import DrillStatus

    def waiting(s: Any) -> list[tuple[int, int, str]]:
        q = select(Drill).where(Drill.status == DrillStatus.GRADING)
        if drill_ids:
            q = q.where(Drill.id.in_(drill_ids))
        out = []
        for d in s.execute(q.order_by(Drill.id)).scalars():
            emp = s.get(Employee, d.employee_id)
            out.append((d.id, d.employee_id, emp.effective_locale if emp else "zh_CN"))
        return out

    eng = get_engine(ctx)
    results: list[tuple[int, str]] = []
    try:
        for drill_id, employee_id, locale in await ctx.run(waiting):
            try:
                r = await eng.grade(drill_id, employee_id, locale)
            except LLMUnavailable as exc:
                results.append((drill_id, f"still waiting ({exc.kind})"))
                continue
            verdict = "passed" if r.passed else "not passed"
            results.append((drill_id, f"graded by {r.graded_by}: {r.total:.0f}, {verdict}"))
    finally:
        await close_services(ctx)
    return results


def register(app: typer.Typer) -> None:
    llm_app = typer.Typer(help="The LLM server.", no_args_is_help=True)
    drills_app = typer.Typer(help="Role-play drills.", no_args_is_help=True)

    @llm_app.command("check")
    def check() -> None:
        """Call the configured server: plain, streamed and structured; show what works."""
        s = get_settings()
        if not s.llm_configured:
            err.print("no LLM configured (OPENAI_BASE_URL / OPENAI_API_KEY): offline mode")
            raise typer.Exit(1)
        out.print(f"{s.openai_base_url or 'OpenAI'} · model {s.llm_model}", highlight=False)
        rows, stats = asyncio.run(llm_check(s))
        table = Table("step", "result", "detail")
        for r in rows:
            table.add_row(*r)
        out.print(table)
        if stats:
            st = Table("purpose", "calls", "retries", "fallbacks", "seconds", "tokens in/out")
            for purpose, v in stats.items():
                st.add_row(
                    purpose,
                    str(v["calls"]),
                    str(v["retries"]),
                    str(v["fallbacks"]),
                    f"{v['seconds']:.1f}",
                    f"{v['prompt_tokens']}/{v['completion_tokens']}",
                )
            out.print(st)
        if any(r[1] == "FAILED" for r in rows):
            raise typer.Exit(1)

    @drills_app.command("regrade")
    def regrade_cmd(
        drill: list[int] = typer.Option(None, "--drill", help="only these drill ids"),
    ) -> None:
        """Grade drills still waiting for a report (the LLM was down or unusable)."""
        from bot.context import build_context

        ctx = build_context(get_settings())
        results = asyncio.run(regrade(ctx, drill or None))
        if not results:
            out.print("no drill is waiting for its grade")
            return
        for drill_id, result in results:
            out.print(f"drill {drill_id}: {result}", highlight=False, markup=False)
        if any(r.startswith("still waiting") for _, r in results):
            raise typer.Exit(1)

    app.add_typer(llm_app, name="llm")
    app.add_typer(drills_app, name="drills")
