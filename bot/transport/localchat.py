"""Drive the real Application over the local Bot API: the console chat and the test harness.

Updates go through `Application.process_update` exactly as from Telegram; since slow handlers
run non-blocking, `send`/`tap` wait until every task they started has finished.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_application, close_services
from bot.context import AppContext
from bot.lifecycle import Background
from bot.transport.localapi import LocalBotApi, SentMessage, UpdateFactory, buttons

PROGRESS_S = 1.0


class LocalChat:
    def __init__(
        self,
        ctx: AppContext,
        api: LocalBotApi | None = None,
        *,
        with_jobs: bool = False,
        on_error: Callable[[BaseException], None] | None = None,
        settle_timeout: float | None = 30.0,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        # settle_timeout None: wait as long as a reply takes (the console: a CPU-served model
        # can need minutes); on_wait(seconds) is called about every PROGRESS_S meanwhile.
        self.settle_timeout = settle_timeout
        self.on_wait = on_wait
        self.ctx = ctx
        self.api = api or LocalBotApi()
        self.updates = UpdateFactory()
        self.app: Application = build_application(
            ctx, self.api, rate_limit=False, on_error=on_error
        )
        # The same scheduler and outbox worker as `coachbot run` (bot/lifecycle.py).
        self.background: Background | None = Background(ctx, self.app.bot) if with_jobs else None

    async def __aenter__(self) -> LocalChat:
        await self.app.initialize()
        await self.app.start()
        if self.background is not None:
            self.background.telegram_ready.set()
            await self.background.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.settle()
        if self.background is not None:
            await self.background.stop()
        await self.app.stop()
        await self.app.shutdown()
        await close_services(self.ctx)

    async def settle(self, timeout: float | None = -1.0) -> None:
        """Wait for the non-blocking handler tasks PTB started for our updates (never
        cancelled: a pending reply is waited for, or the timeout is an error)."""
        if timeout is not None and timeout < 0:
            timeout = self.settle_timeout
        tasks: set[asyncio.Task] = self.app._Application__create_task_tasks  # type: ignore[attr-defined]
        loop = asyncio.get_running_loop()
        start = loop.time()
        while tasks:
            pending = [t for t in tasks if not t.done()]
            if not pending:
                break
            step = PROGRESS_S if self.on_wait else None
            if timeout is not None:
                remaining = start + timeout - loop.time()
                if remaining <= 0:
                    raise TimeoutError("handlers still running after settle timeout")
                step = remaining if step is None else min(step, remaining)
            done, _ = await asyncio.wait(pending, timeout=step)
            if not done and self.on_wait and loop.time() - start >= PROGRESS_S:
                self.on_wait(loop.time() - start)

    async def feed(self, raw: dict[str, Any]) -> None:
        await self.app.process_update(Update.de_json(raw, self.app.bot))
        await self.settle()

    async def send(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        reply_to: SentMessage | None = None,
    ) -> list[SentMessage]:
        """A message from `user_id`; returns what the bot sent to that chat meanwhile."""
        target = user_id if chat_id is None else chat_id
        before = {m.message_id for m in self.api.sent(target)}
        await self.feed(self.updates.message(user_id, text, chat_id, reply_to))
        return [m for m in self.api.sent(target) if m.message_id not in before]

    async def tap(self, user_id: int, msg: SentMessage, label_or_index: str | int) -> None:
        """Press an inline button of `msg`, by its label or 1-based index."""
        btns = buttons(msg)
        if isinstance(label_or_index, int):
            data = btns[label_or_index - 1][1]
        else:
            matches = [d for label, d in btns if label == label_or_index]
            if not matches:
                raise AssertionError(f"no button {label_or_index!r} in {btns}")
            data = matches[0]
        await self.feed(self.updates.callback(user_id, msg, data))

    async def answer_poll(self, user_id: int, poll_id: str, option_ids: list[int]) -> None:
        await self.feed(self.updates.poll_answer(user_id, poll_id, option_ids))
