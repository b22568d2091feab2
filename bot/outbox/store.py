"""The outbox table's side: queue a message once under its key, claim due rows atomically,
leases and fencing, hand rows back, mark them sent or failed."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db import wakeups
from db.models import Outbox, TelegramBinding

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8


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
    new = s.execute(stmt.returning(Outbox.id)).scalar_one_or_none() is not None
    if new:  # the chat's sender may be another process: wake it at commit
        wakeups.notify(s, wakeups.OUTBOX)
    return new


def enqueue_many(s: Session, rows: list[dict[str, Any]], *, now: datetime) -> int:
    """Queue many messages in one statement (the fan-out); rows already queued are skipped.

    Each row: key, kind, chat_id, payload, and optionally employee_id, local_date.
    Returns how many were new."""
    if not rows:
        return 0
    if s.get_bind().dialect.name == "postgresql":
        n = _enqueue_unnest(s, rows, now)
        if n:  # the chats' senders may be other processes: wake them at commit
            wakeups.notify(s, wakeups.OUTBOX)
        return n
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


# PostgreSQL: one INSERT … SELECT FROM unnest(arrays): six parameters instead of ten per row,
# so the statement text is the same for every chunk (psycopg re-parses statements with more
# than 50 parameters every time) and the server plans one short statement. The payloads go as
# one JSON array (json_array_elements, zipped with the arrays by ROWS FROM), not a text[]:
# psycopg quotes every '"' of a text array's elements with a Python-level re.sub callback,
# ~40 per plan (issue #22 profile: ~20 % of building a chunk).
_UNNEST = text(
    """
    INSERT INTO outbox (dedupe_key, kind, chat_id, employee_id, local_date, payload, status,
                        attempts, created_at, next_attempt_at)
    SELECT k, kd, c, e, d, p, 'pending', 0, :now, :now
    FROM ROWS FROM (unnest(CAST(:keys AS varchar[])), unnest(CAST(:kinds AS varchar[])),
                    unnest(CAST(:chats AS bigint[])), unnest(CAST(:emps AS integer[])),
                    unnest(CAST(:dates AS date[])),
                    json_array_elements(CAST(:payloads AS json)))
         AS t(k, kd, c, e, d, p)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
    """
)


def _enqueue_unnest(s: Session, rows: list[dict[str, Any]], now: datetime) -> int:
    res = s.execute(
        _UNNEST,
        {
            "now": now.astimezone(UTC).replace(tzinfo=None),  # stored as naive UTC
            "keys": [r["key"] for r in rows],
            "kinds": [r["kind"] for r in rows],
            "chats": [r["chat_id"] for r in rows],
            "emps": [r.get("employee_id") for r in rows],
            "dates": [r.get("local_date") for r in rows],
            "payloads": json.dumps([r["payload"] for r in rows], ensure_ascii=False),
        },
    )
    return len(res.all())


# Which sender a chat belongs to: a multiplicative hash of the chat id, not |chat_id| mod n,
# so chats whose ids follow a pattern (a branch's people bound in turn, ids in steps of the
# number of branches) still spread over every sender; with the plain modulo one sender got
# whole branches and sat idle while another branch's plans were built (issue #22). The same
# integer arithmetic in SQL (PostgreSQL and SQLite: 64-bit, no overflow) and in Python.
_MIX = 2654435761  # Knuth's multiplicative constant (< 2**32)


def share_of(chat_id: int, n: int) -> int:
    """The index (0 … n-1) of the sender that sends to `chat_id` when there are n."""
    x = abs(chat_id) % 2**31
    return (x * _MIX % 2**32 // 2**16) % n


def _share_sql(n: int) -> Any:
    x = func.abs(Outbox.__table__.c.chat_id) % literal(2**31, BigInteger)
    return (x * literal(_MIX, BigInteger) % literal(2**32, BigInteger) // 2**16) % n


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


@lru_cache(maxsize=64)
def _claim_statement(n: int, k: int) -> Any:
    """The claim for sender k of n (n = 1: every chat), built once: constructing it cost more
    client CPU than running it (issue #22). Parameters: now, lim, lease, owner."""
    t = Outbox.__table__
    now = bindparam("now", type_=t.c.next_attempt_at.type)
    due = or_(
        and_(t.c.status == "pending", t.c.next_attempt_at <= now),
        and_(t.c.status == "sending", t.c.lease_until < now),
    )
    if n > 1:
        due = and_(due, _share_sql(n) == k)
    # The picked ids in a MATERIALIZED CTE, run once. As `id IN (SELECT … LIMIT n FOR UPDATE
    # SKIP LOCKED)` PostgreSQL may plan a nested loop that re-runs the subquery for every
    # outer row, each run skipping the rows the previous ones locked: the statement then
    # claimed every due row (10,000 in 22 s, measured), not `limit`. It does so whenever the
    # statistics say few rows are due (after an ANALYZE of a quiet outbox).
    picked = (
        select(t.c.id)
        .where(due)
        .order_by(t.c.next_attempt_at, t.c.id)
        .limit(bindparam("lim", type_=Integer))
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        t.update()
        # Only the key: the picked rows are locked and were due when locked (re-checked by
        # the lock); a second `due` here let the planner scan every due row per picked one.
        .where(t.c.id == picked.c.id)
        .values(
            status="sending",
            lease_until=bindparam("lease", type_=t.c.lease_until.type),
            attempts=t.c.attempts + 1,
            claimed_by=bindparam("owner", type_=t.c.claimed_by.type),
        )
        .returning(t.c.id, t.c.chat_id, t.c.employee_id, t.c.kind, t.c.payload, t.c.attempts)
    )


def claim_due(
    s: Session,
    now: datetime,
    limit: int,
    *,
    owner: str | None = None,
    part: tuple[int, int] | None = None,
) -> list[Claimed]:
    """Claim up to `limit` due rows for this worker (status `sending`, lease LEASE).

    `owner`: the claiming sender (bot/outbox/senders.py), recorded so that its rows are handed
    back as soon as it is gone. `part=(k, n)`: only chats with share_of(chat_id, n) = k, so
    with n senders each chat has one sender and Telegram's per-chat limits one pacer."""
    lease = now + LEASE
    k, n = part if part is not None and part[1] > 1 else (0, 1)
    rows = (
        s.connection()
        .execute(_claim_statement(n, k), {"now": now, "lim": limit, "lease": lease, "owner": owner})
        .all()
    )
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


def next_due_in(s: Session, now: datetime) -> float | None:
    """Seconds until the earliest pending row is due (0 when one is due now); None if none."""
    first = s.execute(
        select(func.min(Outbox.next_attempt_at)).where(Outbox.status == "pending")
    ).scalar()
    return None if first is None else max((first - now).total_seconds(), 0.0)


# PostgreSQL: the `sent` marks of a flush in one statement with three array parameters (the
# executemany it replaces cost ~50 us of client CPU per row, issue #22).
_MARK_SENT = text(
    """
    UPDATE outbox SET status = 'sent', lease_until = NULL, sent_at = u.at,
                      message_id = u.mid, last_error = NULL
    FROM unnest(CAST(:ids AS integer[]), CAST(:mids AS bigint[]), CAST(:ats AS timestamp[]))
         AS u(id, mid, at)
    WHERE outbox.id = u.id
    """
)


def _mark_sent(s: Session, rows: list[tuple[int, int, datetime]]) -> None:
    if s.get_bind().dialect.name == "postgresql":
        s.connection().execute(
            _MARK_SENT,
            {
                "ids": [rid for rid, _, _ in rows],
                "mids": [mid for _, mid, _ in rows],
                # stored as naive UTC (db.base.UTCDateTime)
                "ats": [at.astimezone(UTC).replace(tzinfo=None) for _, _, at in rows],
            },
        )
        return
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
