"""`coachbot group register|list|unregister`: registered group chats.

Chat ids of groups are negative (-1001234567890); the commands take them as plain arguments
(no `--` needed). Registering an HR alerts chat shows which bound employees in that chat are
not HR (asked from Telegram when a token is set) and asks for confirmation (`--yes` skips it).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

NEGATIVE_IDS = {"ignore_unknown_options": True}  # "-100…" is an argument, not an option


def group_register(
    chat_id: Annotated[int, typer.Argument(help="Telegram chat id, e.g. -1001234567890")],
    purpose: Annotated[str, typer.Argument(help="hr_alerts or trainers")],
    branch: Annotated[str | None, typer.Option(help="Branch code; default all")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Register a Telegram group chat for a purpose (hr_alerts, trainers)."""
    from bot.cli import context, err, fail, out
    from coaching import groups

    if purpose not in groups.PURPOSES:
        raise fail(f"purpose must be one of {', '.join(groups.PURPOSES)}")
    ctx = context()
    clash = ctx.call(groups.conflicts, chat_id, purpose)
    if clash:
        raise fail(
            f"chat {chat_id} is registered as {', '.join(clash)}: an hr_alerts chat holds no "
            f"other purpose. Use a separate chat, or `coachbot group unregister {chat_id} "
            f"{clash[0]}` first"
        )
    if purpose == groups.EXCLUSIVE:
        candidates = ctx.call(groups.non_hr_bound)
        token = ctx.settings.telegram_bot_token
        if not token:
            err.print("note: no TELEGRAM_BOT_TOKEN, so who is in the chat cannot be checked")
        elif candidates:
            present, unknown = asyncio.run(_check(ctx, chat_id, candidates))
            for m in present:
                out.print(f"in the chat and not HR: {m.employee_no} {m.name} ({m.roles})")
            if unknown:
                out.print(f"could not check {len(unknown)} employee(s) (chat unreachable?)")
            if not present and not unknown:
                out.print("no bound non-HR employee is in the chat")
        if not yes and not typer.confirm(
            f"register {chat_id} for HR alerts (names of staff at risk)?"
        ):
            raise fail("not registered", 1)
    row = ctx.call(
        lambda s: groups.register(s, chat_id, purpose, "", branch, None, ctx.clock.now())
    )
    if isinstance(row, groups.GroupError):
        raise fail(f"no branch {branch}" if row == groups.GroupError.UNKNOWN_BRANCH else row)
    out.print(f"chat {chat_id} registered for {purpose} (branch {branch or 'all'})")


async def _check(ctx, chat_id, candidates):  # type: ignore[no-untyped-def]
    from telegram import Bot

    from coaching import groups

    bot = Bot(ctx.settings.telegram_bot_token or "", base_url=ctx.settings.telegram_api_base_url)
    async with bot:

        async def status(uid: int) -> str:
            return str((await bot.get_chat_member(chat_id, uid)).status)

        return await groups.non_hr_members(candidates, status)


def group_list() -> None:
    """Every registered group chat."""
    from rich.table import Table

    from bot.cli import context, out
    from coaching import groups

    rows = context().call(groups.list_groups)
    t = Table("chat id", "purpose", "branch", "title", "registered (UTC)")
    for r in rows:
        t.add_row(
            str(r.chat_id), r.purpose, r.branch or "all", r.title, f"{r.registered_at:%Y-%m-%d}"
        )
    out.print(t)
    if not rows:
        out.print("no group chats registered")


def group_unregister(
    chat_id: Annotated[int, typer.Argument(help="Telegram chat id, e.g. -1001234567890")],
    purpose: Annotated[str | None, typer.Argument(help="Only this purpose")] = None,
) -> None:
    """Stop using a chat for PURPOSE (default: every purpose)."""
    from bot.cli import context, fail, out
    from coaching import groups

    gone = context().call(groups.unregister, chat_id, purpose)
    if not gone:
        raise fail(f"chat {chat_id} is not registered{' for ' + purpose if purpose else ''}", 1)
    out.print(f"chat {chat_id} unregistered: {', '.join(gone)}")


def register(app: typer.Typer) -> None:
    from bot.cli import group_app

    group_app.command("register", context_settings=NEGATIVE_IDS)(group_register)
    group_app.command("list")(group_list)
    group_app.command("unregister", context_settings=NEGATIVE_IDS)(group_unregister)
