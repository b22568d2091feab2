"""Console chat: the same Application, handlers and jobs over the local Bot API.

Each input line is a message from one employee; the bot's messages print to stdout. Inline
keyboards print as numbered buttons that `/tap N` presses; `/job NAME` runs a scheduled job
now and delivers what it queued; `/quit` or end of input stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot import outbox
from bot.context import AppContext
from bot.transport.localapi import LocalBotApi, SentMessage, buttons
from bot.transport.localchat import LocalChat
from coaching import people
from db.models import GroupChat

# What to print once the console's web server listens: (host, port) -> lines.
Announce = Callable[[str, int], list[str]]

CONSOLE_ID_BASE = 8_000_000_000
_TAG = re.compile(r"<[^>]+>")


class ConsoleError(RuntimeError):
    pass


def plain(text: str) -> str:
    """Telegram HTML to terminal text."""
    text = re.sub(r"<br\s*/?>", "\n", text)
    return html.unescape(_TAG.sub("", text))


def _resolve(
    ctx: AppContext, employee_no: str | None, telegram_id: int | None, purpose: str | None
) -> tuple[int, int, str]:
    """(telegram user id, chat id, label) for the console's speaker."""

    def work(s):  # type: ignore[no-untyped-def]
        if employee_no is None:
            uid = telegram_id or CONSOLE_ID_BASE
            return uid, "unbound Telegram user", None
        emp = people.employee_by_no(s, employee_no)
        if emp is None:
            raise ConsoleError(f"no employee {employee_no} (try C0001 after `coachbot demo`)")
        if emp.binding is not None:
            uid = emp.binding.telegram_user_id
        else:
            # Console stands in for the employee's phone: bind a console-only account.
            uid = CONSOLE_ID_BASE + emp.id
            people.bind(s, emp, uid, uid, ctx.clock.now())
        return uid, f"{emp.employee_no} {emp.name}", emp.branch_id

    uid, label, branch_id = ctx.call(work)
    chat_id = uid
    if purpose and purpose.lstrip("-").isdigit():
        # A group by its chat id, registered or not: e.g. to try /register in a new group.
        chat_id = int(purpose)
        if chat_id >= 0:
            raise ConsoleError(f"--group {purpose}: a group chat id is negative (-100…)")
        return uid, chat_id, f"{label} in group {chat_id}"
    if purpose:

        def find(s):  # type: ignore[no-untyped-def]
            from sqlalchemy import select

            rows = s.execute(select(GroupChat).where(GroupChat.purpose == purpose)).scalars()
            rows = list(rows)
            own = [r for r in rows if r.branch_id == branch_id] or rows
            return own[0].chat_id if own else None

        chat = ctx.call(find)
        if chat is None:
            raise ConsoleError(
                f"no group chat is registered for {purpose!r}; give a chat id "
                "(--group -1001234567890) to speak in an unregistered group"
            )
        chat_id = chat
        label += f" in the {purpose} chat"
    return uid, chat_id, label


class Printer:
    def __init__(self, chat_ids: set[int], out_dir: Path) -> None:
        self.chat_ids = chat_ids
        self.out_dir = out_dir
        self.last_with_buttons: SentMessage | None = None
        # Every message that showed buttons gets a number, so `/tap K.N` can reach older ones.
        self.keyboards: dict[int, SentMessage] = {}
        self._tags: dict[tuple[int, int], int] = {}

    def __call__(self, msg: SentMessage, edited: bool) -> None:
        if msg.chat_id not in self.chat_ids:
            return
        prefix = "✎ " if edited else ""
        where = "" if len(self.chat_ids) == 1 else f"[chat {msg.chat_id}] "
        if msg.kind == "photo":
            body = f"🖼  picture {self._save(msg)}" + (f"\n{plain(msg.text)}" if msg.text else "")
        elif msg.kind == "poll":
            opts = msg.extra.get("options", [])
            body = (
                "📊 "
                + plain(msg.text)
                + "\n"
                + "\n".join(f"  ({i}) {o}" for i, o in enumerate(opts, 1))
                + "\n  → /vote N"
            )
        else:
            body = plain(msg.text)
        print(f"{where}{prefix}🤖 {body}")
        btns = buttons(msg)
        if btns:
            self.last_with_buttons = msg
            tag = self._tags.setdefault((msg.chat_id, msg.message_id), len(self._tags) + 1)
            self.keyboards[tag] = msg
            keys = "  ".join(f"[{i}] {label}" for i, (label, _) in enumerate(btns, 1))
            print(f"   {keys}   (#{tag})")
        print(flush=True)

    def _save(self, msg: SentMessage) -> str:
        photo = msg.extra.get("photo")
        if isinstance(photo, dict) and photo.get("file"):
            return str(photo["file"])
        return f"(file under {self.out_dir}/)"


async def _web(
    ctx: AppContext, chat: LocalChat, announce: Announce | None = None
) -> tuple[Any, asyncio.Task[None]] | None:
    """The same web server as `coachbot run` (/healthz, the ingest API) on
    COACHBOT_LISTEN_HOST:PORT; Telegram's part of the health is "console". None when the
    port cannot be had."""
    import uvicorn

    from bot.health import Health
    from bot.web import build_web_app, uvicorn_limits

    health = Health(ctx, chat.background)
    health.telegram = "console"
    s = ctx.settings
    server = uvicorn.Server(
        uvicorn.Config(
            build_web_app(ctx, None, health=health),
            host=s.listen_host,
            port=s.listen_port,
            log_level="warning",
            lifespan="off",
            **uvicorn_limits(s),
        )
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(), name="web")
    for _ in range(200):  # up to 10 s: a port in use fails here, said once
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    if task.done() or not server.started:
        # The chat still works: say so once and go on without the web server.
        print(
            f"web server not started: cannot listen on {s.listen_host}:{s.listen_port} "
            "(port in use? set COACHBOT_LISTEN_PORT)",
            file=sys.stderr,
            flush=True,
        )
        server.should_exit = True
        return None
    print(f"— web server on http://{s.listen_host}:{s.listen_port} (/healthz, ingest API) —")
    for line in announce(s.listen_host, s.listen_port) if announce else ():
        print(line, file=sys.stderr, flush=True)
    return server, task


async def run_console(
    ctx: AppContext,
    employee_no: str | None = None,
    telegram_id: int | None = None,
    purpose: str | None = None,
    listen: bool = False,
    announce: Announce | None = None,
) -> None:
    """The console chat; with `listen` also the web server `coachbot run` serves, and
    `announce(host, port)` lines printed once it listens (the dashboard's demo logins)."""
    uid, chat_id, label = _resolve(ctx, employee_no, telegram_id, purpose)
    api = LocalBotApi(files_dir=ctx.output_dir / "console")
    printer = Printer({chat_id, uid}, ctx.output_dir)
    api.listeners.append(printer)
    progress = _Progress(sys.stdin.isatty())
    async with LocalChat(ctx, api, with_jobs=True, settle_timeout=None, on_wait=progress) as chat:
        web = await _web(ctx, chat, announce) if listen else None
        try:
            print(
                f"— console chat as {label}. /tap N presses a button (/tap K.N: of message "
                "#K), /vote N answers a poll, /job NAME runs a job, /quit ends —",
                flush=True,
            )
            await _loop(ctx, chat, api, printer, uid, chat_id, progress)
        finally:
            if web is not None:
                web[0].should_exit = True
                with contextlib.suppress(Exception):
                    await web[1]


async def _loop(
    ctx: AppContext,
    chat: LocalChat,
    api: LocalBotApi,
    printer: Printer,
    uid: int,
    chat_id: int,
    progress: _Progress,
) -> None:
    last_poll: SentMessage | None = None
    while True:
        if progress.interactive:
            print("> ", end="", flush=True)
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if not progress.interactive:
            print(f"> {text}", flush=True)
        if text == "/quit":  # not /exit: that is the HR exit-workflow command
            break
        polls = [m for m in api.sent(chat_id) if m.kind == "poll"]
        last_poll = polls[-1] if polls else last_poll
        if text.startswith("/tap"):
            await _tap(chat, uid, printer, text)
        elif text.startswith("/vote"):
            await _vote(chat, uid, last_poll, text)
        elif text.startswith("/job"):
            await _job(ctx, chat, text)
        else:
            await chat.send(uid, text, chat_id=None if chat_id == uid else chat_id)
        progress.done()


class _Progress:
    """A visible "still waiting" while the bot works on a reply: an updating line on a
    terminal, a line every PIPED_EVERY_S seconds when piped. Never gives up on the reply."""

    PIPED_EVERY_S = 5

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive
        self.shown = 0

    def __call__(self, waited: float) -> None:
        secs = int(waited)
        if self.interactive:
            print(f"\r⏳ waiting for the reply… {secs} s", end="", file=sys.stderr, flush=True)
            self.shown = secs
        elif secs // self.PIPED_EVERY_S > self.shown // self.PIPED_EVERY_S or not self.shown:
            print(f"⏳ waiting for the reply… {secs} s", flush=True)
            self.shown = secs

    def done(self) -> None:
        if self.interactive and self.shown:
            print("\r" + " " * 40 + "\r", end="", file=sys.stderr, flush=True)
        self.shown = 0


async def _tap(chat: LocalChat, uid: int, printer: Printer, text: str) -> None:
    """`/tap N` presses button N of the last message with buttons; `/tap K.N` of message #K."""
    parts = text.split()
    target, _, button = (parts[1] if len(parts) == 2 else "").rpartition(".")
    msg = printer.keyboards.get(int(target)) if target.isdigit() else printer.last_with_buttons
    if msg is None or not button.isdigit() or (target and not target.isdigit()):
        print(
            "usage: /tap N presses button N of the last message with buttons; /tap K.N "
            "presses button N of message #K\n"
        )
        return
    n = int(button)
    if not 1 <= n <= len(buttons(msg)):
        print(f"no button {n}; that message has {len(buttons(msg))}\n")
        return
    await chat.tap(uid, msg, n)


async def _vote(chat: LocalChat, uid: int, poll: SentMessage | None, text: str) -> None:
    parts = text.split()
    if poll is None or len(parts) < 2 or not all(p.isdigit() for p in parts[1:]):
        print("usage: /vote N [M …] — answers the last poll\n")
        return
    await chat.answer_poll(uid, poll.extra["poll"]["id"], [int(p) - 1 for p in parts[1:]])


async def _job(ctx: AppContext, chat: LocalChat, text: str) -> None:
    from bot.jobs import JOBS, get_job, run_job
    from coaching.calendar import all_branches

    parts = text.split()
    if len(parts) < 2:
        print("jobs: " + ", ".join(j.name for j in JOBS) + "\n")
        return
    try:
        spec = get_job(parts[1])
    except KeyError:
        print(f"no job {parts[1]}; jobs: {', '.join(j.name for j in JOBS)}\n")
        return
    for b in ctx.call(all_branches):
        if len(parts) > 2 and b.code != parts[2]:
            continue
        result = await asyncio.to_thread(run_job, ctx, spec, b, force=True)
        print(f"· job {spec.name} [{b.code}]: {result}", flush=True)
    await outbox.deliver_due(chat.app.bot, ctx, pacer=outbox.Pacer(1000.0, 0.0))
    await chat.settle()
