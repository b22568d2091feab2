"""Persistent outbox: every scheduled or broadcast message is a row first, then a delivery.

- `enqueue` inserts under a unique `dedupe_key` (recipient, kind, local date): a second
  enqueue of the same message is a no-op, so plans and alerts go out at most once.
- `deliver_due` claims due rows atomically (UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
  LOCKED) RETURNING), so two bot processes on one database never send the same row; a row
  stuck in `sending` after a crash is retried when its lease runs out.
- Pacing: at most `rate` messages/s overall, one a second per private chat and 20 a minute
  per group (Telegram's limits, configurable), a 429's retry_after honoured for the chat that
  got it; 403 marks the binding inactive and tells
  HR once; network errors and 5xx back off exponentially.
- Shutdown: `drain` stops claiming, lets requests already on the wire finish and be recorded,
  and hands claimed-but-unsent rows back at once (not after their lease), so a restart or the
  other process sends them straight away and nothing Telegram accepted is sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.context import AppContext
from db.models import Outbox, TelegramBinding

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
DEFAULT_RATE = 25.0  # msg/s: under Telegram's 30/s, leaving room for interactive replies
FAR_WAIT_S = 5.0  # a chat held back longer than this gives its rows back (see deliver_due)
DRAIN_TIMEOUT_S = 15.0  # > PTB's default write/read timeouts (5 s each): in-flight sends finish


@dataclass
class _Worker:
    """Delivery state of a context in one event loop: the stop signal, deliveries running."""

    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    active: int = 0


def _worker(ctx: AppContext) -> _Worker:
    loop = asyncio.get_running_loop()
    w = ctx.extras.get("outbox_worker")
    if w is None or w.loop is not loop:  # asyncio events belong to one loop
        w = ctx.extras["outbox_worker"] = _Worker(loop)
        w.idle.set()
    return w


async def drain(ctx: AppContext, timeout: float = DRAIN_TIMEOUT_S) -> bool:
    """Stop delivering for shutdown: no new claims, rows waiting for their slot are handed
    back, sends on the wire finish. True when every delivery stopped within `timeout`."""
    w = _worker(ctx)
    w.stop.set()
    try:
        await asyncio.wait_for(w.idle.wait(), timeout)
    except TimeoutError:
        log.warning("outbox: %d deliveries still running after %.0f s", w.active, timeout)
        return False
    return True


def enqueue(
    s: Session,
    *,
    key: str,
    kind: str,
    chat_id: int,
    payload: dict[str, Any],
    now: datetime,
    employee_id: int | None = None,
    local_date: date | None = None,
) -> bool:
    """Queue a message; False when one with the same key was already queued (or sent)."""
    values = dict(
        dedupe_key=key,
        kind=kind,
        chat_id=chat_id,
        employee_id=employee_id,
        local_date=local_date,
        payload=payload,
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    # ON CONFLICT DO NOTHING: safe against a concurrent enqueue from another process.
    ins = (pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert)(Outbox)
    stmt = ins.values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    # RETURNING tells reliably whether a row went in (rowcount is not reliable here).
    return s.execute(stmt.returning(Outbox.id)).scalar_one_or_none() is not None


def enqueue_many(s: Session, rows: list[dict[str, Any]], *, now: datetime) -> int:
    """Queue many messages in one statement (the fan-out); rows already queued are skipped.

    Each row: key, kind, chat_id, payload, and optionally employee_id, local_date.
    Returns how many were new."""
    if not rows:
        return 0
    values = [
        dict(
            dedupe_key=r["key"],
            kind=r["kind"],
            chat_id=r["chat_id"],
            employee_id=r.get("employee_id"),
            local_date=r.get("local_date"),
            payload=r["payload"],
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
        for r in rows
    ]
    ins = (pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert)(Outbox)
    # executemany with RETURNING: compiled once, sent as batched multi-row INSERTs.
    stmt = ins.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Outbox.id)
    return len(s.execute(stmt, values).all())


@dataclass
class Claimed:
    id: int
    chat_id: int
    employee_id: int | None
    kind: str
    payload: dict[str, Any]
    attempts: int
    # The lease this worker holds: a fencing token (another worker's claim changes it).
    lease_until: datetime | None = None
    claimed_at: float = 0.0


def claim_due(s: Session, now: datetime, limit: int) -> list[Claimed]:
    """Claim up to `limit` due rows for this worker (status `sending`, lease LEASE)."""
    due = or_(
        and_(Outbox.status == "pending", Outbox.next_attempt_at <= now),
        and_(Outbox.status == "sending", Outbox.lease_until < now),
    )
    ids = (
        select(Outbox.id)
        .where(due)
        .order_by(Outbox.next_attempt_at, Outbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    lease = now + LEASE
    rows = s.execute(
        update(Outbox)
        .where(Outbox.id.in_(ids), due)
        .values(status="sending", lease_until=lease, attempts=Outbox.attempts + 1)
        .returning(
            Outbox.id,
            Outbox.chat_id,
            Outbox.employee_id,
            Outbox.kind,
            Outbox.payload,
            Outbox.attempts,
        )
        .execution_options(synchronize_session=False)
    ).all()
    mono = time.monotonic()
    return sorted(
        (Claimed(*r, lease_until=lease, claimed_at=mono) for r in rows), key=lambda c: c.id
    )


def renew_lease(s: Session, row: Claimed, now: datetime) -> bool:
    """Extend our lease on a row; False when it is no longer ours (lease ran out and another
    worker claimed it, or it was finished), in which case we must not send it."""
    new = now + LEASE
    res = s.execute(
        update(Outbox)
        .where(
            Outbox.id == row.id,
            Outbox.status == "sending",
            Outbox.lease_until == row.lease_until,
        )
        .values(lease_until=new)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        return False
    row.lease_until = new
    row.claimed_at = time.monotonic()
    return True


def _mark(s: Session, row_id: int, **values: Any) -> None:
    s.execute(
        update(Outbox)
        .where(Outbox.id == row_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _release(s: Session, row: Claimed, due: datetime | None = None) -> None:
    """Hand a claimed row back unsent (shutdown, a chat held back): due again at `due` (or at
    once), the attempt not counted. Only while the lease is still ours (as in `renew_lease`)."""
    extra = {} if due is None else {"next_attempt_at": due}
    s.execute(
        update(Outbox)
        .where(
            Outbox.id == row.id,
            Outbox.status == "sending",
            Outbox.lease_until == row.lease_until,
        )
        .values(status="pending", lease_until=None, attempts=max(row.attempts - 1, 0), **extra)
        .execution_options(synchronize_session=False)
    )


def _skip_chat(s: Session, chat_id: int, reason: str) -> int:
    """Stop queued messages to a chat that blocked the bot (they could only fail again)."""
    res = s.execute(
        update(Outbox)
        .where(Outbox.chat_id == chat_id, Outbox.status == "pending")
        .values(status="skipped", last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(res.rowcount or 0)


def _blocked(s: Session, row: Claimed, now: datetime) -> None:
    """The user blocked the bot: stop sending to them and tell their branch's HR chat once."""
    from bot.i18n import t
    from coaching.people import group_chats_for
    from db.models import Employee

    binding = s.execute(
        select(TelegramBinding).where(TelegramBinding.chat_id == row.chat_id)
    ).scalar_one_or_none()
    if binding is None or not binding.active:
        return
    binding.active = False
    emp = s.get(Employee, binding.employee_id)
    if emp is None:
        return
    for chat in group_chats_for(s, "hr_alerts", emp.branch_id):
        enqueue(
            s,
            key=f"blocked:{emp.id}:{binding.bound_at.isoformat()}:{chat}",
            kind="binding_blocked",
            chat_id=chat,
            payload={
                "text": t(
                    emp.branch.locale,
                    "core.binding_blocked",
                    employee_no=emp.employee_no,
                    name=emp.name,
                )
            },
            now=now,
        )


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


async def _send(bot: Bot, row: Claimed) -> int:
    p = row.payload
    markup = InlineKeyboardMarkup.de_json(p["reply_markup"], bot) if p.get("reply_markup") else None
    if p.get("photo"):
        with Path(p["photo"]).open("rb") as fh:
            msg = await bot.send_photo(
                row.chat_id,
                fh,
                caption=p.get("text") or None,
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
            )
    else:
        msg = await bot.send_message(
            row.chat_id,
            p["text"],
            reply_markup=markup,
            disable_web_page_preview=True,
            parse_mode=ParseMode.HTML,
        )
    return msg.message_id


async def deliver_due(
    bot: Bot,
    ctx: AppContext,
    *,
    limit: int = 500,
    rate: float | None = None,
    concurrency: int = 16,
    pacer: Pacer | None = None,
    fence: Callable[[], bool] | None = None,
) -> int:
    """Deliver everything due now, in batches. Returns the number of messages sent.

    Every message is rendered HTML (parse_mode is set here, not left to the Bot's defaults,
    so the CLI's plain Bot renders like the Application). `fence` is checked before each
    send: a process that lost the scheduler lease stops sending at once.

    A batch is sized to take about a quarter of the lease at the paced rate, and a row whose
    lease is getting old is renewed (compare-and-set) right before it is sent, so a slow batch
    never lets a second worker take and send the same row."""
    rate = rate or ctx.extras.get("outbox_rate") or _settings_rate(ctx)
    pacer = pacer or pacer_for(ctx, rate)
    if pacer.interval > 0:
        limit = max(1, min(limit, int(LEASE.total_seconds() / 4 / pacer.interval)))
    worker = _worker(ctx)
    if worker.stop.is_set():
        return 0
    worker.active += 1
    worker.idle.clear()
    sent_log = _SentLog(ctx)
    sent_log.start()
    try:
        return await _deliver_batches(
            bot, ctx, limit, concurrency, pacer, sent_log, worker.stop, fence
        )
    finally:
        await sent_log.stop()
        worker.active -= 1
        if worker.active == 0:
            worker.idle.set()


async def _paced(pacer: Pacer, chat_id: int, stop: asyncio.Event) -> bool:
    """Wait for the chat's slot; False when a stop came first (the slot is then unused)."""
    if stop.is_set():
        return False
    unpaced = pacer.interval == 0 and pacer.per_chat == 0 and pacer.per_group == 0
    if unpaced and pacer.ready_in(chat_id) == 0:
        await pacer.wait(chat_id)  # unpaced and not paused: returns without sleeping
        return not stop.is_set()
    slot = asyncio.ensure_future(pacer.wait(chat_id))
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait((slot, stopped), return_when=asyncio.FIRST_COMPLETED)
    for t in (slot, stopped):
        t.cancel()
    return slot.done() and not slot.cancelled() and not stop.is_set()


async def _deliver_batches(
    bot: Bot,
    ctx: AppContext,
    limit: int,
    concurrency: int,
    pacer: Pacer,
    sent_log: _SentLog,
    stop: asyncio.Event,
    fence: Callable[[], bool] | None = None,
) -> int:
    total = 0
    sem = asyncio.Semaphore(concurrency)
    stop_round = asyncio.Event()
    while not stop.is_set() and not stop_round.is_set():
        if fence is not None and not fence():
            return total
        claimed = await ctx.run(claim_due, ctx.clock.now(), limit)
        if not claimed:
            return total
        batch, again = await _one_per_chat(ctx, claimed, pacer)

        async def one(row: Claimed) -> bool:
            async with sem:
                if row.chat_id in pacer.blocked:
                    await ctx.run(
                        _mark, row.id, status="skipped", lease_until=None, last_error="403 earlier"
                    )
                    return False
                wait = pacer.ready_in(row.chat_id)
                if wait > FAR_WAIT_S:
                    # This chat is held back (a group's 20/min, a 429): give the row back
                    # until then instead of holding a delivery slot.
                    await ctx.run(_release, row, ctx.clock.now() + timedelta(seconds=wait))
                    return False
                if not await _paced(pacer, row.chat_id, stop):
                    await ctx.run(_release, row)
                    return False
                if fence is not None and not fence():
                    await ctx.run(_release, row)
                    stop_round.set()
                    return False
                if row.chat_id in pacer.blocked:
                    await ctx.run(
                        _mark, row.id, status="skipped", lease_until=None, last_error="403 earlier"
                    )
                    return False
                if time.monotonic() - row.claimed_at > LEASE.total_seconds() / 3 and not (
                    await ctx.run(renew_lease, row, ctx.clock.now())
                ):
                    log.warning("outbox row %s: lease lost, another worker has it", row.id)
                    return False
                return await _deliver_one(bot, ctx, row, pacer, sent_log)

        results = await asyncio.gather(*(one(r) for r in batch), return_exceptions=True)
        await sent_log.flush()
        for r in results:
            if isinstance(r, BaseException):
                # A database error while recording: the row's lease runs out and it is retried.
                log.error("outbox delivery failed: %r", r, exc_info=r)
        total += sum(1 for r in results if r is True)
        if pacer.paused_until > pacer.clock() or (len(claimed) < limit and not again):
            # Rows put back for later (429/backoff) are not due yet: stop this round.
            return total
    return total


async def _one_per_chat(
    ctx: AppContext, batch: list[Claimed], pacer: Pacer
) -> tuple[list[Claimed], bool]:
    """Keep the first claimed row of each chat for this round; hand the others back, due when
    the chat's limit lets them go (a group's 20 a minute), so a chat with many messages never
    holds delivery slots that other chats could use. The flag: some are due again at once."""
    keep: list[Claimed] = []
    later: list[tuple[Claimed, datetime]] = []
    per_chat: dict[int, int] = {}
    now = ctx.clock.now()
    for row in batch:
        n = per_chat.get(row.chat_id, 0)
        per_chat[row.chat_id] = n + 1
        if n == 0:
            keep.append(row)
        else:
            wait = pacer.ready_in(row.chat_id) + n * pacer.interval_for(row.chat_id)
            later.append((row, now + timedelta(seconds=wait)))
    if later:

        def give_back(s: Session) -> None:
            for row, due in later:
                _release(s, row, due)

        await ctx.run(give_back)
    return keep, any(due <= now for _, due in later)


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


def reclaim_all(s: Session) -> int:
    """Hand every `sending` row back at once: called by a process that has just become the
    only sender (the scheduler lease's new holder), so a dead sender's rows go out within
    seconds instead of after their lease."""
    res = s.execute(
        update(Outbox)
        .where(Outbox.status == "sending")
        .values(status="pending", lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(res.rowcount or 0)


def _backoff(attempts: int) -> float:
    """5 s, 10 s, 20 s … capped at an hour, with ±20 % jitter so retries don't stampede."""
    base = min(5 * 2 ** max(attempts - 1, 0), 3600)
    return base * random.uniform(0.8, 1.2)


async def _deliver_one(
    bot: Bot, ctx: AppContext, row: Claimed, pacer: Pacer, sent_log: _SentLog | None = None
) -> bool:
    try:
        message_id = await _send(bot, row)
    except RetryAfter as exc:
        with warnings.catch_warnings():  # PTB 22 warns that the type becomes timedelta later
            warnings.simplefilter("ignore")
            raw = exc.retry_after
        wait = raw.total_seconds() if isinstance(raw, timedelta) else float(raw)
        pacer.pause_chat(row.chat_id, float(wait))
        await ctx.run(
            _mark,
            row.id,
            status="pending",
            lease_until=None,
            attempts=max(row.attempts - 1, 0),
            next_attempt_at=ctx.clock.now() + timedelta(seconds=float(wait)),
            last_error=f"429 retry_after={wait}",
        )
        return False
    except Forbidden as exc:
        error = f"403 {exc.message}"
        if row.chat_id > 0:
            pacer.blocked.add(row.chat_id)

        def fail(s: Session) -> None:
            _mark(s, row.id, status="failed", lease_until=None, last_error=error)
            _blocked(s, row, ctx.clock.now())
            if row.chat_id > 0:  # a private chat: the person blocked the bot
                _skip_chat(s, row.chat_id, error)

        await ctx.run(fail)
        return False
    except BadRequest as exc:
        await ctx.run(
            _mark, row.id, status="failed", lease_until=None, last_error=f"400 {exc.message}"
        )
        log.warning("outbox row %s refused by Telegram: %s", row.id, exc.message)
        return False
    except (TimedOut, NetworkError, TelegramError) as exc:
        # Network errors, timeouts and 5xx (PTB raises NetworkError for them); anything else
        # Telegram answers is retried the same way rather than left stuck in `sending`.
        if row.attempts >= MAX_ATTEMPTS:
            await ctx.run(
                _mark, row.id, status="failed", lease_until=None, last_error=f"gave up: {exc}"
            )
            log.error("outbox row %s failed after %d attempts: %s", row.id, row.attempts, exc)
        else:
            backoff = _backoff(row.attempts)
            await ctx.run(
                _mark,
                row.id,
                status="pending",
                lease_until=None,
                next_attempt_at=ctx.clock.now() + timedelta(seconds=backoff),
                last_error=str(exc)[:500],
            )
        return False
    except Exception as exc:  # a broken payload (missing text, photo file gone): not retryable
        await ctx.run(
            _mark, row.id, status="failed", lease_until=None, last_error=f"payload: {exc!r}"[:500]
        )
        log.error("outbox row %s cannot be sent: %r", row.id, exc)
        return False
    if sent_log is not None:
        sent_log.add(row.id, message_id, ctx.clock.now())
    else:
        await ctx.run(_mark_sent, [(row.id, message_id, ctx.clock.now())])
    return True


def _mark_sent(s: Session, rows: list[tuple[int, int, datetime]]) -> None:
    t = Outbox.__table__
    s.connection().execute(
        t.update()
        .where(t.c.id == bindparam("b_id"))
        .values(
            status="sent",
            lease_until=None,
            sent_at=bindparam("b_at"),
            message_id=bindparam("b_mid"),
            last_error=None,
        ),
        [{"b_id": rid, "b_mid": mid, "b_at": at} for rid, mid, at in rows],
    )


class _SentLog:
    """Records `sent` marks in one statement every FLUSH_S instead of one transaction per
    message (the database was the fan-out's bottleneck). A process killed between Telegram's
    answer and the flush re-sends those few messages after the lease — the same window a
    per-message commit has, a few milliseconds wider."""

    FLUSH_S = 0.02

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.rows: list[tuple[int, int, datetime]] = []
        self._task: asyncio.Task[None] | None = None
        self._stop = False

    def add(self, row_id: int, message_id: int, at: datetime) -> None:
        self.rows.append((row_id, message_id, at))

    async def flush(self) -> None:
        rows, self.rows = self.rows, []
        if rows:
            await self.ctx.run(_mark_sent, rows)

    async def _loop(self) -> None:
        while not self._stop:
            await asyncio.sleep(self.FLUSH_S)
            await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        self._stop = True
        if self._task is not None:
            await self._task
        await self.flush()
