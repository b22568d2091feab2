"""What one process's outbox worker holds between rounds: the rows it has on the wire, the
`sent` marks Telegram answered but the database has not stored yet (`_SentLog` writes them in
batches), and claimed rows whose hand-back failed. The fencing rules in sender.py rely on it:
`own_rows` is what `senders.reclaim_orphans` must never hand to another process."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.context import AppContext
from bot.outbox.store import Claimed, _mark_sent

log = logging.getLogger("bot.outbox")


@dataclass
class _Worker:
    """Delivery state of a context in one event loop: the stop signal, deliveries running,
    rows on the wire and rows Telegram accepted whose `sent` mark is not yet stored.

    The last two outlive a round: during a database outage the marks cannot be written, and
    the rows must neither be forgotten (they would be reclaimed and sent again) nor handed
    back by `senders.reclaim_orphans` when this process re-takes its lease after the outage."""

    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    active: int = 0
    inflight: set[int] = field(default_factory=set)
    unrecorded: list[tuple[int, int, datetime]] = field(default_factory=list)
    flush_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Claimed rows whose hand-back failed (the database went away mid-round): handed back at
    # the next round, not left `sending` until their 2-min lease runs out.
    stranded: list[tuple[Claimed, datetime | None]] = field(default_factory=list)

    def own_rows(self) -> set[int]:
        """Rows this process has on the wire or sent without a stored mark."""
        return self.inflight | {r[0] for r in self.unrecorded}


def own_rows(ctx: AppContext) -> set[int]:
    """Row ids the outbox worker of this process still answers for (see _Worker)."""
    w = ctx.extras.get("outbox_worker")
    return w.own_rows() if w is not None else set()


def _worker(ctx: AppContext) -> _Worker:
    loop = asyncio.get_running_loop()
    w = ctx.extras.get("outbox_worker")
    if w is None or w.loop is not loop:  # asyncio events belong to one loop
        w = ctx.extras["outbox_worker"] = _Worker(loop)
        w.idle.set()
    return w


class _SentLog:
    """Records `sent` marks in one statement every FLUSH_S instead of one transaction per
    message (the database was the fan-out's bottleneck). A process killed between Telegram's
    answer and the flush re-sends those few messages after the lease — the same window a
    per-message commit has, a few milliseconds wider.

    The marks wait in the worker (not here), and a failed write keeps them: a database outage
    delays the marks, it does not turn sent messages back into pending ones."""

    FLUSH_S = 0.02

    def __init__(self, ctx: AppContext, worker: _Worker) -> None:
        self.ctx = ctx
        self.worker = worker
        self._task: asyncio.Task[None] | None = None
        self._stop = False
        self._failing = False

    def add(self, row_id: int, message_id: int, at: datetime) -> None:
        self.worker.unrecorded.append((row_id, message_id, at))

    def pending(self) -> int:
        return len(self.worker.unrecorded)

    async def flush(self) -> bool:
        """Store the marks; False (and the marks kept) while the database is unavailable."""
        async with self.worker.flush_lock:
            return await self._flush()

    async def _flush(self) -> bool:
        rows = list(self.worker.unrecorded)
        if not rows:
            return True
        try:
            await self.ctx.run(_mark_sent, rows)
        except Exception as exc:
            if not self._failing:
                log.warning(
                    "outbox: %d sent marks not stored yet (database: %s); retrying",
                    len(rows),
                    exc.__class__.__name__,
                )
            self._failing = True
            return False
        if self._failing:
            log.info("outbox: sent marks stored again")
        self._failing = False
        del self.worker.unrecorded[: len(rows)]  # others may have been added meanwhile
        return True

    async def _loop(self) -> None:
        while not self._stop:
            await asyncio.sleep(self.FLUSH_S if not self._failing else 0.5)
            await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        self._stop = True
        if self._task is not None:
            await self._task
        await self.flush()
