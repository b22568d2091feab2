"""What a running bot does on its own, started the same way by `coachbot run` (polling,
webhook, worker) and by the console: the scheduler lease, the scheduler and the outbox worker.

PTB calls `post_init` only from `run_polling`/`run_webhook`, and we drive the Application by
hand beside uvicorn, so nothing here hangs off PTB's hooks: `Background.start()` is called
explicitly, exactly once, by every runner.

Several processes on one database: each tries to hold the `scheduler` lease (TTL LEASE_TTL,
renewed every RENEW); the holder ticks the scheduler. When the holder dies, another process
takes the lease once it expires and carries on. Every process helps with the work the jobs
share out — it builds chunks of a fan-out (bot/jobs/chunks.py) and sends its share of the
outbox's chats at its share of the rate (bot/outbox/senders.py) — and stops sending as soon as
its own view of its sender lease runs out (fencing), so a row it holds is handed back to the
others only once it can no longer send it. On PostgreSQL the processes wake each other (a split
fan-out, rows queued for chats another process sends: db/wakeups.py); the idle polls remain
for a lost notification.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError
from telegram import Bot

from bot import outbox
from bot.context import AppContext
from bot.jobs import chunks
from bot.outbox import senders
from bot.scheduler import Scheduler
from db import leases, wakeups

log = logging.getLogger(__name__)

LEADER_LEASE = "scheduler"
# A process killed with -9 is taken over within LEASE_TTL + RENEW_S (about 6 s). The renewals
# run on their own thread (`_lease_pool`), so busy handlers or fan-out builders in the shared
# thread pool cannot hold one back past the fence.
LEASE_TTL = timedelta(seconds=5)
RENEW_S = 1.0
# Stop acting as leader this long before our lease's end, in case our clock or a pause lags.
FENCE_MARGIN_S = 1.5
OUTBOX_IDLE_S = 1.0
OUTBOX_BUSY_S = 0.05
CHUNK_IDLE_S = 0.5  # how often an idle process looks for fan-out chunks to build


def _short(exc: BaseException) -> str:
    """The error's class and the first line of its message (no SQL, no traceback)."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0][:160] if str(orig).strip() else ""
    return f"{orig.__class__.__name__}: {first}" if first else orig.__class__.__name__


def owner_id() -> str:
    return leases.new_owner_id()


_settled = False


def settle_heap() -> None:
    """Once per process, when a bot is up: compile the plan templates, then move every object
    alive now (modules, mappers, compiled templates: they live as long as the process) out of
    the cyclic collector's reach (gc.freeze), so a full collection during a fan-out walks only
    what the fan-out made. Issue #22: one full collection of the ~155k start-up objects cost
    ~90 ms in each worker process in the middle of a 1,000-plan share (~10 % of its CPU)."""
    global _settled
    if _settled:
        return
    _settled = True
    from bot.jobs.plans import warm_templates

    warm_templates()
    gc.collect()  # start-up garbage is freed, not frozen
    gc.freeze()


class Background:
    """The scheduler lease, the scheduler and the outbox worker of one process."""

    def __init__(
        self,
        ctx: AppContext,
        bot: Bot,
        *,
        outbox_idle_s: float = OUTBOX_IDLE_S,
        pacer: outbox.Pacer | None = None,
    ) -> None:
        self.ctx = ctx
        self.bot = bot
        self.owner = owner_id()
        ctx.extras["owner"] = self.owner  # claims of fan-out chunks carry the same name
        self.outbox_idle_s = outbox_idle_s
        self.scheduler = Scheduler(ctx, is_leader=self.is_leader, after_run=self._wake_outbox)
        self.pacer = pacer or outbox.pacer_for(ctx)  # the benchmark's is unthrottled
        self._interval = self.pacer.interval  # at the whole rate: one sender
        # Set once Telegram answered getMe: the outbox does not send before.
        self.telegram_ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._chunks_wake = asyncio.Event()
        self._chunks_changed = threading.Event()
        ctx.extras["chunks_changed"] = self._chunks_changed
        self._tasks: list[asyncio.Task[Any]] = []
        self._lease_pool = ThreadPoolExecutor(1, thread_name_prefix="lease")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._leader_until = 0.0  # monotonic end of our lease, minus the margin
        self._sender_until = 0.0  # the same for our sender lease
        self.share: tuple[int, int] = (0, 1)  # (our index, live senders)
        self.built = 0  # fan-out chunks this process built for others' runs
        self.leader_since: datetime | None = None
        self.last_error: str | None = None
        self.sent = 0

    # --- leadership -------------------------------------------------------------------------

    def is_leader(self) -> bool:
        return time.monotonic() < self._leader_until and not self._stop.is_set()

    def is_sender(self) -> bool:
        return time.monotonic() < self._sender_until and not self._stop.is_set()

    async def _lease_call(self, fn: Any, *args: Any) -> Any:
        """`ctx.call` on the lease thread: never queued behind other work in the shared pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._lease_pool, functools.partial(self.ctx.call, fn, *args)
        )

    async def _renew(self) -> None:
        started = time.monotonic()
        now = self.ctx.clock.now()
        got = await self._lease_call(leases.acquire, LEADER_LEASE, self.owner, now, LEASE_TTL)
        was = self.is_leader()
        if got:
            self._leader_until = started + LEASE_TTL.total_seconds() - FENCE_MARGIN_S
            if not was:
                self.leader_since = now
                log.info("scheduler lease taken by this process (%s)", self.owner)
        else:
            self._leader_until = 0.0
            if was:
                log.warning("scheduler lease lost: another process runs the jobs now")
                self.leader_since = None
        await self._renew_sender(started)

    async def _renew_sender(self, started: float) -> None:
        """Our sender lease and share of the chats; the rows of senders that are gone go back
        to pending (ours on the wire or awaiting their `sent` mark are kept)."""
        now = self.ctx.clock.now()
        keep = outbox.own_rows(self.ctx)
        share = await self._lease_call(senders.register, self.owner, now, LEASE_TTL, keep)
        was = self.is_sender()
        if share is None:
            self._sender_until = 0.0
            if was:
                log.warning("sender lease lost: this process stops sending")
            return
        self._sender_until = started + LEASE_TTL.total_seconds() - FENCE_MARGIN_S
        if share != self.share or not was:
            log.info("sending chats %d of %d (mod %d)", share[0], share[1], share[1])
            self.share = share
            # Each sender paces at its share of the overall rate.
            self.pacer.interval = self._interval * share[1]
            self._wake.set()

    async def _leader_loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self._renew()
                if self.last_error is not None:
                    log.info("scheduler lease check works again")
                self.last_error = None
            except Exception as exc:  # database down: we cannot prove the lease, so let go
                self._leader_until = 0.0
                if self.last_error is None:  # one line per outage, not one per try
                    log.warning("scheduler lease check failed (database: %s)", _short(exc))
                self.last_error = f"database: {exc.__class__.__name__}"
            await self._sleep(RENEW_S)

    # --- the outbox worker ------------------------------------------------------------------

    async def _wake_outbox(self) -> None:
        self._wake.set()

    def _wake_from_thread(self) -> None:
        """A chunk built in a job thread: its messages go out now, not at the next idle poll."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def _outbox_loop(self) -> None:
        await self._wait_or_stop(self.telegram_ready.wait())
        while not self._stop.is_set():
            self._wake.clear()
            sent = 0
            if self.is_sender():
                try:
                    sent = await outbox.deliver_due(
                        self.bot,
                        self.ctx,
                        pacer=self.pacer,
                        fence=self.is_sender,
                        owner=self.owner,
                        part=self.share,
                    )
                    self.sent += sent
                except DBAPIError as exc:  # the database went away: pause, then try again
                    log.warning("outbox round paused (database: %s)", _short(exc))
                except Exception:
                    log.exception("outbox delivery round failed")
            # While rows keep coming (another worker is building a fan-out whose chats are
            # partly ours: nothing wakes us for them), look again soon; idle, every second.
            idle = OUTBOX_BUSY_S if sent else self.outbox_idle_s
            await self._wait_or_stop(self._wake.wait(), idle)

    # --- fan-out chunks -------------------------------------------------------------------

    async def _chunk_loop(self) -> None:
        """Build chunks of any fan-out run, whoever started it; the outbox is woken for them."""
        while not self._stop.is_set():
            self._chunks_wake.clear()
            try:
                if await asyncio.to_thread(chunks.help_once, self.ctx):
                    self.built += 1
                    self._wake.set()
                    continue
            except DBAPIError as exc:
                log.warning("fan-out chunk paused (database: %s)", _short(exc))
            except Exception:
                log.exception("fan-out chunk failed")
            await self._wait_or_stop(self._chunks_wake.wait(), CHUNK_IDLE_S)

    # --- wake-ups from other processes ------------------------------------------------------

    def _on_notify(self, channel: str) -> None:
        """Another process split a fan-out or queued rows (PostgreSQL NOTIFY, db/wakeups.py)."""
        if channel == wakeups.CHUNKS:
            self._chunks_wake.set()
            self._chunks_changed.set()  # a job thread waiting in chunks.run_all
        else:
            self._wake.set()

    async def _wakeup_loop(self) -> None:
        await wakeups.listen(self.ctx.db.engine, self._on_notify, self._stop)

    # --- start and stop ---------------------------------------------------------------------

    async def start(self) -> None:
        if self._tasks:
            raise RuntimeError("background already started")
        self._loop = asyncio.get_running_loop()
        self.ctx.extras["on_chunk_built"] = self._wake_from_thread
        settle_heap()
        await self._renew_safely()
        self._tasks = [
            asyncio.create_task(self._leader_loop(), name="scheduler-lease"),
            asyncio.create_task(self.scheduler.run_forever(self._stop), name="scheduler"),
            asyncio.create_task(self._outbox_loop(), name="outbox"),
            asyncio.create_task(self._chunk_loop(), name="chunks"),
            asyncio.create_task(self._wakeup_loop(), name="wake-ups"),
        ]

    async def _renew_safely(self) -> None:
        try:
            await self._renew()
        except Exception as exc:
            log.warning("scheduler lease check failed: %r", exc)

    async def stop(self) -> None:
        """Stop ticking, finish sends on the wire, hand the rest back and let the lease go so
        another process takes over at once."""
        self._stop.set()
        await outbox.drain(self.ctx)
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        try:
            await self._lease_call(leases.release, LEADER_LEASE, self.owner)
            await self._lease_call(senders.leave, self.owner)
        except Exception:  # the leases expire by themselves
            log.debug("could not release the scheduler lease", exc_info=True)
        self._leader_until = self._sender_until = 0.0
        self._lease_pool.shutdown(wait=False)

    async def _sleep(self, seconds: float) -> None:
        await self._wait_or_stop(None, seconds)

    async def _wait_or_stop(self, aw: Any, timeout: float | None = None) -> None:
        waits = [asyncio.ensure_future(self._stop.wait())]
        if aw is not None:
            waits.append(asyncio.ensure_future(aw))
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    def status(self) -> dict[str, Any]:
        """For /healthz: this process's part in scheduling and sending."""
        now = self.ctx.clock.now()
        upcoming = [
            (when, spec.name, b.code)
            for spec, b, when in self.scheduler.next_runs(now)
            if when is not None
        ]
        nxt = min(upcoming) if upcoming else None
        return {
            "leader": self.is_leader(),
            "owner": self.owner,
            "next_run": (
                {"job": nxt[1], "branch": nxt[2], "at": nxt[0].isoformat()} if nxt else None
            ),
            "jobs_ran": self.scheduler.ran,
            "sender": self.is_sender(),
            "share": f"{self.share[0]}/{self.share[1]}",
            "chunks_built": self.built,
            "sent": self.sent,
            "error": self.last_error,
        }
