"""`coachbot` command line (Typer). Feature modules add their commands via CLI_MODULES."""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.context import AppContext, build_context
from bot.settings import Settings, SettingsError, get_settings

app = typer.Typer(
    help="CoachBot: chat-ops coaching bot for debt-collection teams.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
jobs_app = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
employee_app = typer.Typer(help="Employees and access.", no_args_is_help=True)
group_app = typer.Typer(help="Registered group chats.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")
app.add_typer(employee_app, name="employee")
app.add_typer(group_app, name="group")

out = Console()
err = Console(stderr=True)

# Feature modules exposing `register(app: typer.Typer) -> None`.
CLI_MODULES: list[str] = [
    "bot.cli_ingest",
    "bot.cli_plans",
    "bot.cli_score",
    "bot.cli_training",
    "bot.cli_coaching",
    "bot.cli_hr",
]


def settings() -> Settings:
    return get_settings()


def context() -> AppContext:
    return build_context(settings())


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def setup_logging() -> None:
    logging.basicConfig(
        level=settings().log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL, which contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from bot.log_redact import install

    install(settings())  # secrets are redacted from every record, at any level


def ensure_schema(ctx: AppContext) -> None:
    from db.migrate import upgrade

    upgrade(ctx.db.url)


# --- db -------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply Alembic migrations up to REVISION (default: head)."""
    from db.migrate import upgrade

    upgrade(settings().database_url, revision)
    out.print(f"database at {revision}")


# --- demo -----------------------------------------------------------------------------------


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same data.")] = 7,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if data exists.")
    ] = False,
    reset: Annotated[bool, typer.Option("--reset", help="Delete all data first.")] = False,
) -> None:
    """Create a realistic demo organisation with 3 months of synthetic activity."""
    from db.demo import build_demo, has_data, reset_all

    ctx = context()
    ensure_schema(ctx)
    if reset:
        ctx.call(reset_all)
    elif ctx.call(has_data):
        if if_empty:
            out.print("demo data already present")
            return
        raise fail("the database already has data; use --reset to replace it")
    summary = build_demo(ctx, seed=seed)
    out.print(summary)


# --- employees and invites -------------------------------------------------------------------


@app.command()
def invite(employee_no: str) -> None:
    """Create a single-use invite code for EMPLOYEE_NO and print it with its deep link."""
    from coaching import people

    ctx = context()
    s = ctx.settings
    result = ctx.call(people.create_invite, employee_no, ctx.clock.now(), s.invite_ttl_hours, None)
    if not isinstance(result, people.Invite):
        raise fail(f"cannot invite {employee_no}: {result.value.replace('_', ' ')}")
    out.print(f"code: {result.code}")
    out.print(f"link: {result.link(s.bot_username)}")
    out.print(f"expires: {result.expires_at:%Y-%m-%d %H:%M} UTC")


@employee_app.command("import")
def employee_import(file: Path) -> None:
    """Load employees from a CSV (employee_no,name,branch,team,roles,hire_date[,status])."""
    from db.employees_csv import EmployeeCsvError, load_employees

    ctx = context()
    try:
        n = ctx.call(load_employees, file)
    except EmployeeCsvError as exc:
        raise fail(str(exc)) from None
    out.print(f"{n} employees loaded from {file}")


@employee_app.command("leave")
def employee_leave(
    employee_no: str,
    last_day: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today")] = None,
) -> None:
    """Mark EMPLOYEE_NO as left: bot access ends after the last day."""
    from coaching import people

    ctx = context()
    day = date.fromisoformat(last_day) if last_day else ctx.clock.now().date()
    emp = ctx.call(lambda s: people.mark_left(s, employee_no, day) is not None)
    if not emp:
        raise fail(f"no employee {employee_no}")
    out.print(f"{employee_no} marked as left (last day {day})")


@group_app.command("register")
def group_register(
    chat_id: int,
    purpose: str,
    branch: Annotated[str | None, typer.Option(help="Branch code; default all")] = None,
) -> None:
    """Register a Telegram group chat for a purpose (hr_alerts, trainers)."""
    from coaching import people
    from db.models.org import ChatPurpose

    if purpose not in {p.value for p in ChatPurpose}:
        raise fail(f"purpose must be one of {', '.join(p.value for p in ChatPurpose)}")
    ctx = context()
    row = ctx.call(
        lambda s: (
            people.register_group(s, chat_id, purpose, "", branch, None, ctx.clock.now())
            is not None
        )
    )
    if not row:
        raise fail(f"no branch {branch}")
    out.print(f"chat {chat_id} registered for {purpose}")


# --- jobs -----------------------------------------------------------------------------------


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


# --- console and run ------------------------------------------------------------------------


@app.command()
def console(
    as_: Annotated[str | None, typer.Option("--as", help="Speak as this employee number")] = None,
    telegram_id: Annotated[
        int | None, typer.Option(help="Speak as an unbound Telegram user")
    ] = None,
    group: Annotated[
        str | None, typer.Option(help="Speak in the registered chat of PURPOSE")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            help="Pretend the time is AT (ISO 8601 with offset, e.g. 2026-03-02T09:30+08:00)"
        ),
    ] = None,
) -> None:
    """Chat with the bot in this terminal (or from piped stdin) instead of Telegram."""
    from bot.console import ConsoleError, run_console
    from coaching.clock import ShiftedClock

    setup_logging_quiet()
    clock = None
    if at is not None:
        try:
            when = datetime.fromisoformat(at)
            clock = ShiftedClock(when)
        except ValueError:
            raise fail(f"--at {at!r}: expected an ISO 8601 time with offset") from None
    ctx = build_context(settings(), clock)
    ensure_schema(ctx)
    try:
        asyncio.run(run_console(ctx, employee_no=as_, telegram_id=telegram_id, purpose=group))
    except ConsoleError as exc:
        raise fail(str(exc)) from None


def setup_logging_quiet() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from bot.log_redact import install

    install(settings())


@app.command()
def run(
    as_: Annotated[
        str, typer.Option("--as", help="Console identity when no token is set")
    ] = "C0001",
) -> None:
    """Run the bot: Telegram long polling, or webhook mode when COACHBOT_WEBHOOK_URL is set.

    With no TELEGRAM_BOT_TOKEN it starts the console chat on the demo data instead."""
    s = settings()
    if not s.telegram_bot_token:
        from bot.console import ConsoleError, run_console

        setup_logging_quiet()
        ctx = context()
        ensure_schema(ctx)
        from db.demo import build_demo, has_data

        if not ctx.call(has_data):
            err.print("no data yet: creating the demo organisation …")
            err.print(build_demo(ctx, seed=7))
        err.print(f"TELEGRAM_BOT_TOKEN is not set: console chat as {as_} (see /help; Ctrl-D quits)")
        try:
            asyncio.run(run_console(ctx, employee_no=as_))
        except ConsoleError as exc:
            raise fail(str(exc)) from None
        return
    from bot.runner import run_bot

    setup_logging()
    ctx = context()
    ensure_schema(ctx)
    run_bot(ctx)


def main() -> None:
    for mod in CLI_MODULES:
        importlib.import_module(mod).register(app)
    try:
        app()
    except SettingsError as exc:
        err.print(str(exc), highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
