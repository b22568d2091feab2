"""Several processes sending from one outbox: each running bot registers as a sender (a lease
row `outbox:<owner>`, renewed every few seconds) and sends its share:

- the chats are split between the live senders (a hash of the chat id mod n: store.share_of),
  so each chat has one sender and Telegram's per-chat limits (1/s, a group's 20/min, a 429's
  retry_after) are kept by one pacer; the overall rate is split too (each sender paces at
  rate / n);
- a claim is atomic (FOR UPDATE SKIP LOCKED), so no row goes out from two senders even while
  the membership changes (for a moment two senders may cover one chat: pacing only);
- a sender that is gone (SIGKILL, a lost database) lets its lease run out; any other sender
  then hands its `sending` rows back at once (`reclaim_orphans`) instead of after their 2-min
  lease. The NOT EXISTS is evaluated in the same statement as the update, and a sender commits
  its lease before its first claim, so a live sender's rows are never taken.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, literal, select, update
from sqlalchemy.orm import Session

from db import leases
from db.models import Lease, Outbox

PREFIX = "outbox:"
FORGET_AFTER = timedelta(hours=1)  # expired sender rows are deleted after this


def register(
    s: Session, owner: str, now: datetime, ttl: timedelta, keep: set[int] | frozenset[int]
) -> tuple[int, int] | None:
    """Renew this process's sender lease and hand back the rows of senders that are gone.
    Returns (our index, number of live senders), or None when the lease is not ours."""
    name = PREFIX + owner
    if not leases.acquire(s, name, owner, now, ttl):
        return None
    s.flush()
    reclaim_orphans(s, now, keep)
    s.execute(
        delete(Lease)
        .where(Lease.name.like(PREFIX + "%"), Lease.expires_at < now - FORGET_AFTER)
        .execution_options(synchronize_session=False)
    )
    live = list(
        s.execute(
            select(Lease.name)
            .where(Lease.name.like(PREFIX + "%"), Lease.expires_at > now)
            .order_by(Lease.name)
        ).scalars()
    )
    return live.index(name), len(live)


def reclaim_orphans(
    s: Session, now: datetime, keep: set[int] | frozenset[int] = frozenset()
) -> int:
    """Hand back `sending` rows whose claiming sender's lease is gone. `keep`: rows this
    process still answers for (on the wire, or sent with the mark not stored yet)."""
    alive = exists().where(
        Lease.name == literal(PREFIX) + Outbox.claimed_by,
        Lease.expires_at > now,
    )
    cond = [Outbox.status == "sending", Outbox.claimed_by.is_not(None), ~alive]
    if keep:
        cond.append(Outbox.id.not_in(sorted(keep)))
    res = s.execute(
        update(Outbox)
        .where(and_(*cond))
        .values(status="pending", lease_until=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(res.rowcount or 0)


def leave(s: Session, owner: str) -> None:
    leases.release(s, PREFIX + owner, owner)
