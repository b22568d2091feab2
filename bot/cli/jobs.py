"""`coachbot jobs list` / `jobs run`: the schedule, and running a job by hand (beside a running
bot it only queues: the running bot is the one sender)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from bot.cli import context, err, fail, out
from bot.context import AppContext

jobs_app = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")


@jobs_app.command("list")
def jobs_list() -> None:
    """Every scheduled job with its next run per branch (in the branch's time zone), and which
    running process holds the scheduler."""
    from bot.jobs import next_runs
    from bot.lifecycle import LEADER_LEASE
    from db import leases

    ctx = context()
    now = ctx.clock.now()
    holder = ctx.call(leases.holder, LEADER_LEASE, now)
    if holder is None:
        out.print("scheduler: no running bot holds it now (start `coachbot run`)")
    else:
        out.print(
            f"scheduler: held by {holder.owner} (lease until {holder.expires_at:%H:%M:%S} UTC)"
        )
    table = Table("job", "branch", "next run (branch time)", "description")
    for spec, b, nxt in next_runs(ctx, now):
        when = f"{b.local(nxt):%Y-%m-%d %H:%M} ({b.timezone})" if nxt else "-"
        table.add_row(spec.name, b.code, when, spec.description)
    out.print(table)


@jobs_app.command("run")
def jobs_run(
    name: str,
    branch: Annotated[str | None, typer.Option(help="Branch code; default every branch")] = None,
) -> None:
    """Run a job now (re-sends are safe: the outbox never sends a message twice)."""
    from bot.jobs import get_job, run_job
    from coaching.calendar import all_branches

    try:
        spec = get_job(name)
    except KeyError:
        raise fail(f"no job {name}; see `coachbot jobs list`") from None
    ctx = context()
    branches = [b for b in ctx.call(all_branches) if branch in (None, b.code)]
    if not branches:
        raise fail(f"no branch {branch}")
    for b in branches:
        out.print(f"{name} [{b.code}]: {run_job(ctx, spec, b, force=True)}")
    from bot.lifecycle import LEADER_LEASE
    from db import leases

    if ctx.call(leases.holder, LEADER_LEASE, ctx.clock.now()) is not None:
        # A running bot is the one sender (it keeps Telegram's limits): it sends within seconds.
        out.print("queued; the running bot delivers it")
    elif ctx.settings.telegram_bot_token:
        asyncio.run(_deliver_now(ctx))
    else:
        out.print("queued; no TELEGRAM_BOT_TOKEN, so the running bot (or console) delivers it")


CLI_WAIT_S = 5.0  # `jobs run` waits for rows due this soon (per-chat pacing), not for backoffs


async def _deliver_now(ctx: AppContext) -> None:
    from telegram import Bot
    from telegram.error import TelegramError

    from bot import outbox

    bot = Bot(ctx.settings.telegram_bot_token or "", base_url=ctx.settings.telegram_api_base_url)
    try:
        async with bot:
            pacer = outbox.pacer_for(ctx)
            n = await outbox.deliver_due(bot, ctx, pacer=pacer)
            # A chat's further messages wait for its limit (1 s private, 3 s in a group):
            # stay until what is due within a few seconds has gone.
            while (wait := ctx.call(outbox.next_due_in, ctx.clock.now())) is not None:
                if wait > CLI_WAIT_S:
                    break
                await asyncio.sleep(wait)
                n += await outbox.deliver_due(bot, ctx, pacer=pacer)
    except (TelegramError, OSError) as exc:
        # The job ran and its messages are queued: the running bot sends them.
        err.print(
            f"[yellow]queued, not sent now:[/yellow] Telegram did not answer ({exc}); "
            "the running bot delivers them",
            highlight=False,
        )
        return
    out.print(f"{n} messages delivered")
