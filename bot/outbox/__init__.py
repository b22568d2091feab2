"""Persistent outbox: every scheduled or broadcast message is a row first, then a delivery.

- `enqueue` inserts under a unique `dedupe_key` (recipient, kind, local date): a second
  enqueue of the same message is a no-op, so plans and alerts go out at most once.
- `deliver_due` claims due rows atomically (WITH picked AS MATERIALIZED (SELECT … LIMIT n
  FOR UPDATE SKIP LOCKED) UPDATE … FROM picked RETURNING), so two bot processes on one
  database never send the same row; a row stuck in `sending` after a crash is retried when its
  lease runs out, or at once when its claiming sender's lease is gone (`senders.py`: every bot
  process sends its share of chats).
- Pacing: at most `rate` messages/s overall, one a second per private chat and 20 a minute
  per group (Telegram's limits, configurable), a 429's retry_after honoured for the chat that
  got it; 403 marks the binding inactive and tells
  HR once; network errors and 5xx back off exponentially.
- Shutdown: `drain` stops claiming, lets requests already on the wire finish and be recorded,
  and hands claimed-but-unsent rows back at once (not after their lease), so a restart or the
  other process sends them straight away and nothing Telegram accepted is sent twice.
"""

from bot.outbox.inflight import own_rows
from bot.outbox.pacer import DEFAULT_RATE, Pacer, pacer_for
from bot.outbox.sender import DRAIN_TIMEOUT_S, FAR_WAIT_S, deliver_due, drain
from bot.outbox.store import (
    LEASE,
    MAX_ATTEMPTS,
    Claimed,
    claim_due,
    enqueue,
    enqueue_many,
    next_due_in,
    renew_lease,
)

__all__ = [
    "DEFAULT_RATE",
    "DRAIN_TIMEOUT_S",
    "FAR_WAIT_S",
    "LEASE",
    "MAX_ATTEMPTS",
    "Claimed",
    "Pacer",
    "claim_due",
    "deliver_due",
    "drain",
    "enqueue",
    "enqueue_many",
    "next_due_in",
    "own_rows",
    "pacer_for",
    "renew_lease",
]
