"""Persistent outbox: every scheduled or broadcast message is a row first, then a delivery.

- `enqueue` inserts under a unique `dedupe_key` (recipient, kind, local date): a second
  enqueue of the same message is a no-op, so plans and alerts go out at most once.
- `deliver_due` claims due rows atomically (UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
  LOCKED) RETURNING), so two bot processes on one database never send the same row; a row
  stuck in `sending` after a crash is retried when its lease runs out.
- Pacing: at most `rate` messages/s overall and one per chat per second (Telegram's limits),
  with a 429's retry_after honoured for everything; 403 marks the binding inactive and tells
  HR once; network errors and 5xx back off exponentially.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.context import AppContext
from db.models import Outbox, TelegramBinding

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
DEFAULT_RATE = 25.0  # msg/s: under Telegram's 30/s, leaving room for interactive replies


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


@dataclass
class Claimed:
    id: int
    chat_id: int
    employee_id: int | None
    kind: str
    payload: dict[str, Any]
    attempts: int


def claim_due(s: Session, now: datetime, limit: int) -> list[Claimed]:
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
    rows = s.execute(
        update(Outbox)
        .where(Outbox.id.in_(ids), due)
        .values(status="sending", lease_until=now + LEASE, attempts=Outbox.attempts + 1)
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
    return sorted((Claimed(*r) for r in rows), key=lambda c: c.id)


def _mark(s: Session, row_id: int, **values: Any) -> None:
    s.execute(
        update(Outbox)
        .where(Outbox.id == row_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


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
    """Global rate plus one message per chat per second; a 429 pauses everything."""

    def __init__(self, rate: float, per_chat_interval: float = 1.0) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.per_chat = per_chat_interval
        self._next_slot = time.monotonic()
        self._chat_next: dict[int, float] = {}
        self._lock = asyncio.Lock()
        self.paused_until = 0.0

    async def wait(self, chat_id: int) -> None:
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next_slot, self.paused_until, self._chat_next.get(chat_id, 0.0))
            self._next_slot = start + self.interval
            self._chat_next[chat_id] = start + self.per_chat
        delay = start - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


async def _send(bot: Bot, row: Claimed) -> int:
    p = row.payload
    markup = InlineKeyboardMarkup.de_json(p["reply_markup"], bot) if p.get("reply_markup") else None
    if p.get("photo"):
        with Path(p["photo"]).open("rb") as fh:
            msg = await bot.send_photo(
                row.chat_id, fh, caption=p.get("text") or None, reply_markup=markup
            )
    else:
        msg = await bot.send_message(
            row.chat_id, p["text"], reply_markup=markup, disable_web_page_preview=True
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
) -> int:
    """Deliver everything due now, in batches. Returns the number of messages sent."""
    pacer = pacer or Pacer(rate or ctx.extras.get("outbox_rate", DEFAULT_RATE))
    total = 0
    sem = asyncio.Semaphore(concurrency)
    while True:
        batch = await ctx.run(claim_due, ctx.clock.now(), limit)
        if not batch:
            return total

        async def one(row: Claimed) -> bool:
            async with sem:
                await pacer.wait(row.chat_id)
                return await _deliver_one(bot, ctx, row, pacer)

        results = await asyncio.gather(*(one(r) for r in batch))
        total += sum(results)
        if pacer.paused_until > time.monotonic() or len(batch) < limit:
            # Rows put back for later (429/backoff) are not due yet: stop this round.
            return total


async def _deliver_one(bot: Bot, ctx: AppContext, row: Claimed, pacer: Pacer) -> bool:
    try:
        message_id = await _send(bot, row)
    except RetryAfter as exc:
        with warnings.catch_warnings():  # PTB 22 warns that the type becomes timedelta later
            warnings.simplefilter("ignore")
            raw = exc.retry_after
        wait = raw.total_seconds() if isinstance(raw, timedelta) else float(raw)
        pacer.pause(float(wait))
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

        def fail(s: Session) -> None:
            _mark(s, row.id, status="failed", lease_until=None, last_error=error)
            _blocked(s, row, ctx.clock.now())

        await ctx.run(fail)
        return False
    except BadRequest as exc:
        await ctx.run(
            _mark, row.id, status="failed", lease_until=None, last_error=f"400 {exc.message}"
        )
        log.warning("outbox row %s refused by Telegram: %s", row.id, exc.message)
        return False
    except (TimedOut, NetworkError) as exc:
        if row.attempts >= MAX_ATTEMPTS:
            await ctx.run(
                _mark, row.id, status="failed", lease_until=None, last_error=f"gave up: {exc}"
            )
            log.error("outbox row %s failed after %d attempts: %s", row.id, row.attempts, exc)
        else:
            backoff = min(5 * 2 ** (row.attempts - 1), 3600)
            await ctx.run(
                _mark,
                row.id,
                status="pending",
                lease_until=None,
                next_attempt_at=ctx.clock.now() + timedelta(seconds=backoff),
                last_error=str(exc)[:500],
            )
        return False
    await ctx.run(
        _mark,
        row.id,
        status="sent",
        lease_until=None,
        sent_at=ctx.clock.now(),
        message_id=message_id,
        last_error=None,
    )
    return True
