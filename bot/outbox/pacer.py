"""Telegram's limits for bulk sends: an overall rate, one message a second per private chat,
20 a minute per group, and a 429's retry_after for the chat that got it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.context import AppContext

DEFAULT_RATE = 25.0  # msg/s: under Telegram's 30/s, leaving room for interactive replies


class Pacer:
    """Global rate plus Telegram's per-chat limits: `per_chat_interval` seconds between two
    messages to a private chat, `group_interval` to a group (20 a minute = 3 s). A 429's
    retry_after holds back the chat that got it (`pause_chat`); `pause` holds everything."""

    def __init__(
        self,
        rate: float,
        per_chat_interval: float = 1.0,
        group_interval: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        # clock/sleep are injectable so tests can check the schedule in virtual time.
        self.clock = clock
        self._sleep = sleep
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.per_chat = per_chat_interval
        self.per_group = per_chat_interval if group_interval is None else group_interval
        self._next_slot = clock()
        self._chat_next: dict[int, float] = {}
        self._lock = asyncio.Lock()
        self.paused_until = 0.0
        # Private chats that answered 403 in this run: their other claimed rows are skipped.
        self.blocked: set[int] = set()

    async def wait(self, chat_id: int) -> None:
        while True:
            async with self._lock:
                now = self.clock()
                chat_ready = self._chat_next.get(chat_id, 0.0)
                if chat_ready > max(now, self._next_slot, self.paused_until):
                    # This chat is not ready before the next global slot: wait for the chat
                    # without holding a global slot, so other chats are not held up.
                    start, reserved = chat_ready, False
                else:
                    start = max(now, self._next_slot, self.paused_until)
                    self._next_slot = start + self.interval
                    self._chat_next[chat_id] = start + self.interval_for(chat_id)
                    reserved = True
                if len(self._chat_next) > 10_000:  # forget chats whose slot has passed
                    self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
            delay = start - self.clock()
            if not reserved:
                await self._sleep(max(delay, 0.0))
                continue
            if delay > 0:
                await self._sleep(delay)
            # A 429 that arrived while we slept pauses us too: take a new slot after it.
            if self.paused_until <= self.clock():
                return

    def interval_for(self, chat_id: int) -> float:
        return self.per_group if chat_id < 0 else self.per_chat

    def ready_in(self, chat_id: int) -> float:
        """Seconds until `chat_id` may get its next message (0 when it may now)."""
        now = self.clock()
        return max(self._chat_next.get(chat_id, 0.0), self.paused_until, now) - now

    def pause_chat(self, chat_id: int, seconds: float) -> None:
        """A 429 for one chat: only that chat waits out retry_after."""
        until = self.clock() + seconds
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)

    def pause(self, seconds: float) -> None:
        until = self.clock() + seconds
        if until > self.paused_until:
            self.paused_until = until
            # Every slot handed out restarts after the pause, at the same spacing.
            self._next_slot = max(self._next_slot, until)


def _settings_rate(ctx: AppContext) -> float:
    return float(getattr(ctx.settings, "outbox_rate", DEFAULT_RATE) or DEFAULT_RATE)


def pacer_for(ctx: AppContext, rate: float | None = None) -> Pacer:
    """A pacer at the configured limits: overall rate, private chats, groups."""
    st = ctx.settings
    return Pacer(
        rate or _settings_rate(ctx),
        1.0 / st.rate_private_per_s,
        60.0 / st.rate_group_per_min,
    )
