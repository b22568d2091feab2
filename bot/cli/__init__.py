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

from bot.context import AppContext, build_context
from bot.settings import Settings, SettingsError, get_settings

app = typer.Typer(
    help="CoachBot: chat-ops coaching bot for debt-collection teams.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
employee_app = typer.Typer(help="Employees and access.", no_args_is_help=True)
group_app = typer.Typer(help="Registered group chats.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(employee_app, name="employee")
app.add_typer(group_app, name="group")

out = Console()
err = Console(stderr=True)

# Feature modules exposing `register(app: typer.Typer) -> None`.
CLI_MODULES: list[str] = [
    "bot.cli.jobs",
    "bot.cli.ingest",
    "bot.cli.plans",
    "bot.cli.score",
    "bot.cli.training",
    "bot.cli.coaching",
    "bot.cli.hr",
    "bot.cli.org",
    "bot.cli.groups",
    "bot.cli.doctor",
    "bot.cli.llm",
    "bot.cli.pii",
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
    from bot.demo import build_demo, has_data, reset_all

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
def invite(
    employee_no: Annotated[str | None, typer.Argument(help="One employee")] = None,
    team: Annotated[str | None, typer.Option(help="Every unbound member of TEAM")] = None,
    branch: Annotated[str | None, typer.Option(help="Every unbound employee of BRANCH")] = None,
    all_unbound: Annotated[
        bool, typer.Option("--all-unbound", help="Every unbound employee (in your scope)")
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Create the codes as this employee (HR: limited to their branch; admin: all)",
        ),
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Bulk: where the CSV and the QR sheet go")
    ] = Path("."),
    sheet: Annotated[str, typer.Option(help="Bulk: QR sheet format, pdf or png")] = "pdf",
) -> None:
    """Create single-use invite codes: for EMPLOYEE_NO (printed), or in bulk for --team,
    --branch or --all-unbound (a CSV of deep links and a printable QR sheet)."""
    from coaching import onboarding, people

    ctx = context()
    s = ctx.settings
    now = ctx.clock.now()
    by_id, scope = None, None
    if by is not None:
        who = ctx.call(lambda ses: _caller_of(ses, by))
        if who is None or not who.has_role("hr", "admin"):
            raise fail(f"--by {by}: not an HR or admin employee")
        by_id, scope = who.employee_id, people.invite_scope(who)
    if employee_no is not None:
        if team or branch or all_unbound:
            raise fail("give an employee number or one of --team/--branch/--all-unbound")
        result = ctx.call(
            people.create_invite, employee_no, now, s.invite_ttl_hours, by_id, scope=scope
        )
        if not isinstance(result, people.Invite):
            raise fail(f"cannot invite {employee_no}: {result.value.replace('_', ' ')}")
        out.print(f"code: {result.code}")
        out.print(f"link: {result.link(s.bot_username)}")
        out.print(f"expires: {result.expires_at:%Y-%m-%d %H:%M} UTC")
        return
    if sheet not in ("pdf", "png"):
        raise fail("--sheet must be pdf or png")
    sel = onboarding.Selection(team=team, branch=branch, all_unbound=all_unbound)
    try:
        invites = ctx.call(onboarding.create_bulk, sel, now, s.invite_ttl_hours, by_id, scope)
    except onboarding.OnboardingError as exc:
        raise fail(str(exc)) from None
    if not invites:
        out.print("nobody to invite: everyone selected is bound already")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"invites-{sel.label()}-{now:%Y%m%d-%H%M}"
    csv_path = onboarding.write_csv(invites, s.bot_username, out_dir / f"{stem}.csv")
    # matplotlib loads with the first chart, not at start-up (memory)
    from bot.charts.invites import cjk_font, write_sheet

    sheets = write_sheet(invites, s.bot_username, out_dir / f"{stem}.{sheet}")
    out.print(f"{len(invites)} invite(s), valid {s.invite_ttl_hours} h, single use")
    out.print(f"links: {csv_path}")
    for sheet_path in sheets:
        out.print(f"QR sheet: {sheet_path}", soft_wrap=True)
    if not cjk_font():
        err.print("note: no CJK font installed, so the sheet shows employee numbers only")


def _caller_of(s: object, employee_no: str) -> object:
    from coaching import people

    emp = people.employee_by_no(s, employee_no)  # type: ignore[arg-type]
    return people.caller_from(emp) if emp is not None else None


@employee_app.command("import")
def employee_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK), XLSX or JSON staff list")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and count, store nothing.")
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Store the valid rows; write rejected ones to FILE.rejects.csv beside the input.",
        ),
    ] = False,
    mark_missing_left: Annotated[
        bool,
        typer.Option(
            "--mark-missing-left",
            help="FILE is the full staff list: employees it does not name are marked as left "
            "today (never deleted).",
        ),
    ] = False,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="YAML/JSON mapping of other headers.")
    ] = None,
) -> None:
    """Load employees (docs/data-formats.md#employees): the same importer as
    `coachbot import employees` and the ingest API; re-importing updates in place."""
    from bot.cli.ingest import import_cmd
    from coaching.ingest import Mapping
    from coaching.ingest.employees_csv import InputError, employee_numbers
    from coaching.ingest.employees_csv import mark_missing_left as mark

    present: set[str] = set()
    if mark_missing_left:
        try:
            present = employee_numbers(file, Mapping.load(mapping) if mapping else None)
        except InputError as exc:
            raise fail(str(exc)) from None
    import_cmd("employees", file, dry_run=dry_run, skip_invalid=skip_invalid, mapping=mapping)
    if not mark_missing_left:
        return
    ctx = context()
    gone = ctx.call(mark, present, ctx.clock.now().date(), dry_run)
    verb = "would be marked" if dry_run else "marked"
    for no, name in gone:
        out.print(f"{no} {name}: {verb} as left (not in {file.name})", highlight=False)
    out.print(f"{len(gone)} employee(s) {verb} as left")


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


# --- console and run ------------------------------------------------------------------------


@app.command()
def console(
    as_: Annotated[str | None, typer.Option("--as", help="Speak as this employee number")] = None,
    telegram_id: Annotated[
        int | None, typer.Option(help="Speak as an unbound Telegram user")
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            help="Speak in the registered chat of PURPOSE (hr_alerts, trainers), or in the "
            "group with this chat id (-100…), registered or not",
            metavar="PURPOSE|CHAT_ID",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            help="Pretend the time is AT (ISO 8601 with offset, e.g. 2026-03-02T09:30+08:00)"
        ),
    ] = None,
    listen: Annotated[
        bool,
        typer.Option(
            "--listen",
            help="Also serve /healthz and the ingest API on COACHBOT_LISTEN_HOST:PORT, "
            "as `coachbot run` does",
        ),
    ] = False,
) -> None:
    """Chat with the bot in this terminal (or from piped stdin) instead of Telegram."""
    from bot.transport.console import ConsoleError, run_console
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
        asyncio.run(
            run_console(ctx, employee_no=as_, telegram_id=telegram_id, purpose=group, listen=listen)
        )
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
        from bot.transport.console import ConsoleError, run_console

        setup_logging_quiet()
        ctx = context()
        ensure_schema(ctx)
        from bot.demo import build_demo, has_data

        if not ctx.call(has_data):
            err.print("no data yet: creating the demo organisation …")
            err.print(build_demo(ctx, seed=7))
        from bot.dashboard.devserver import console_dashboard

        err.print(f"TELEGRAM_BOT_TOKEN is not set: console chat as {as_} (see /help; Ctrl-D quits)")
        try:
            # The same web server as with a token (/healthz, the ingest API), plus the
            # dashboard with demo logins.
            asyncio.run(
                run_console(ctx, employee_no=as_, listen=True, announce=console_dashboard(ctx))
            )
        except ConsoleError as exc:
            raise fail(str(exc)) from None
        return
    from bot.runner import run_bot
    from coaching.privacy import PiiKeyError, check_pii_key

    try:
        check_pii_key(s.pii_hmac_key, demo=s.demo_mode)
    except PiiKeyError as exc:
        raise fail(str(exc)) from None
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
