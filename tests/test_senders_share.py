"""Bot processes share the chats evenly (issue #22): the senders' shares spread chat ids that
follow a pattern."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from bot import outbox
from bot.context import AppContext
from bot.outbox.store import share_of
from db.models import Outbox


def _queue(ctx: AppContext, chats: list[int], tag: str) -> None:
    rows = [dict(key=f"{tag}:{c}", kind="t", chat_id=c, payload={"text": "x"}) for c in chats]
    ctx.call(outbox.enqueue_many, rows, now=ctx.clock.now())


def test_patterned_chat_ids_spread_over_every_sender(ctx: AppContext) -> None:
    """A branch's people in steps of 4 (4 branches bound in turn): with |chat_id| mod 2 one
    sender got all of them. The database's share is the Python one, groups included."""
    chats = [10_000_000 + 4 * i for i in range(200)] + [-1001000000900 - i for i in range(20)]
    _queue(ctx, chats, "p")
    for n in (2, 3):
        got: dict[int, set[int]] = {}
        for k in range(n):
            later = ctx.clock.now() + timedelta(days=k)  # a new claim each time: leases out
            claimed = ctx.call(outbox.claim_due, later, 1000, part=(k, n))
            got[k] = {r.chat_id for r in claimed}
            ctx.call(lambda s: s.query(Outbox).update({"status": "pending", "lease_until": None}))
        assert set().union(*got.values()) == set(chats)
        for k, mine in got.items():
            assert mine == {c for c in chats if share_of(c, n) == k}
            assert len(mine) > len(chats) / n / 2, Counter(len(v) for v in got.values())
