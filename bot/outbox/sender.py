"""Delivering the outbox: rounds of claimed rows, paced, one per chat per round; Telegram's
answers recorded (sent, 429, 403, 400, 5xx and network errors with backoff); `drain` for a
clean shutdown. What the worker holds between rounds (rows on the wire, marks not yet
stored) is in inflight.py."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.exc import DBAPIError
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
from bot.outbox.inflight import _SentLog, _Worker, _worker
from bot.outbox.pacer import Pacer, _settings_rate, pacer_for
from bot.outbox.store import (
    LEASE,
    MAX_ATTEMPTS,
    Claimed,
    _blocked,
    _mark,
    _mark_sent,
    _release,
    _skip_chat,
    claim_due,
    renew_lease,
)
from bot.transport.aiohttp_request import AiohttpRequest

log = logging.getLogger("bot.outbox")

FAR_WAIT_S = 5.0  # a chat held back longer than this gives its rows back (see deliver_due)
DRAIN_TIMEOUT_S = 15.0  # > PTB's default write/read timeouts (5 s each): in-flight sends finish


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
    if w.unrecorded:  # the database was down: one more try before the process goes
        await _SentLog(ctx, w).flush()
        if w.unrecorded:
            log.error(
                "outbox: %d sent messages could not be marked sent (database unavailable); "
                "they will be sent again",
                len(w.unrecorded),
            )
    return True


async def _send(bot: Bot, row: Claimed) -> int:
    p = row.payload
    wire = getattr(bot, "request", None)
    if isinstance(wire, AiohttpRequest) and not p.get("photo"):
        # Straight to the wire as JSON: no PTB objects built per message (issue #22 profile).
        body = {
            "chat_id": row.chat_id,
            "text": p["text"],
            "parse_mode": ParseMode.HTML.value,
            "link_preview_options": {"is_disabled": True},
        }
        if p.get("reply_markup"):
            body["reply_markup"] = p["reply_markup"]
        result = await wire.post_json(f"{bot.base_url}/sendMessage", body)
        return int(result["message_id"])
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
    owner: str | None = None,
    part: tuple[int, int] | None = None,
) -> int:
    """Deliver everything due now, in batches. Returns the number of messages sent.

    `owner`, `part`: this process's sender name and share of the chats when several send
    (bot/outbox/senders.py).

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
    if worker.stranded and worker.active == 0:
        await _hand_back_stranded(ctx, worker)
    worker.active += 1
    worker.idle.clear()
    sent_log = _SentLog(ctx, worker)
    sent_log.start()
    try:
        claim = functools.partial(claim_due, owner=owner, part=part)
        return await _deliver_batches(
            bot, ctx, limit, concurrency, pacer, sent_log, worker.stop, fence, claim
        )
    finally:
        await sent_log.stop()
        worker.active -= 1
        if worker.active == 0:
            worker.idle.set()


async def _hand_back(
    ctx: AppContext, worker: _Worker, row: Claimed, due: datetime | None = None
) -> None:
    try:
        await ctx.run(_release, row, due)
    except DBAPIError:
        worker.stranded.append((row, due))
        raise


async def _hand_back_stranded(ctx: AppContext, worker: _Worker) -> None:
    rows = list(worker.stranded)

    def give_back(s: Session) -> None:
        for row, due in rows:
            _release(s, row, due)  # compare-and-set on our lease: a no-op once it is not ours

    try:
        await ctx.run(give_back)
    except DBAPIError:
        return  # still unavailable: the next round tries again
    del worker.stranded[: len(rows)]


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
    claim: Callable[..., list[Claimed]] = claim_due,
) -> int:
    total = 0
    sem = asyncio.Semaphore(concurrency)
    stop_round = asyncio.Event()
    if sent_log.pending() and not await sent_log.flush():
        return total  # the database is still down: no new claims before the old marks are in
    while not stop.is_set() and not stop_round.is_set():
        if fence is not None and not fence():
            return total
        claimed = await ctx.run(claim, ctx.clock.now(), limit)
        if not claimed:
            return total
        try:
            batch, again = await _one_per_chat(ctx, claimed, pacer)
        except DBAPIError:  # the batch is claimed but none of it will go out in this round
            sent_log.worker.stranded.extend((row, None) for row in claimed)
            raise

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
                    due = ctx.clock.now() + timedelta(seconds=wait)
                    await _hand_back(ctx, sent_log.worker, row, due)
                    return False
                if not await _paced(pacer, row.chat_id, stop):
                    await _hand_back(ctx, sent_log.worker, row)
                    return False
                if fence is not None and not fence():
                    await _hand_back(ctx, sent_log.worker, row)
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
                sent_log.worker.inflight.add(row.id)
                try:
                    return await _deliver_one(bot, ctx, row, pacer, sent_log)
                finally:
                    sent_log.worker.inflight.discard(row.id)

        results = await asyncio.gather(*(one(r) for r in batch), return_exceptions=True)
        await sent_log.flush()
        for r in results:
            if isinstance(r, DBAPIError):
                # The database went away while recording a failure or handing a row back: the
                # row stays claimed and is reclaimed when the lease is re-taken.
                log.warning("outbox: database unavailable (%s)", r.__class__.__name__)
            elif isinstance(r, BaseException):
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
        if _maybe_delivered(exc):
            # The request went out and no answer came: Telegram may have delivered it. The
            # Bot API has no idempotency key, so sending again is the price of losing nothing:
            # at most one duplicate per answer lost (the read timeout keeps that rare).
            log.warning(
                "outbox row %s: no answer from Telegram in time (%s); it will be sent again "
                "and may arrive twice",
                row.id,
                exc.__class__.__name__,
            )
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


def _maybe_delivered(exc: BaseException) -> bool:
    """A timeout or network error after the request was written (not a refused connection,
    a connect timeout or a 5xx answer): Telegram may have acted on it."""
    cause = exc.__cause__
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return False
    return isinstance(exc, TimedOut) or isinstance(
        cause, httpx.ReadError | httpx.RemoteProtocolError | httpx.ReadTimeout
    )
