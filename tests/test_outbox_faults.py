"""Outbox delivery against the Bot API double: 429, 403, 5xx and timeouts, two workers."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from bot import outbox
from bot.context import AppContext
from bot.outbox import senders
from db.models import Outbox, TelegramBinding
from db.session import Database
from tests import factories as f


def _queue(ctx: AppContext, chats: list[int], kind: str = "plan_morning") -> None:
    now = ctx.clock.now()

    def work(s):  # type: ignore[no-untyped-def]
        for c in chats:
            outbox.enqueue(
                s, key=f"{kind}:{c}", kind=kind, chat_id=c, payload={"text": f"hello {c}"}, now=now
            )

    ctx.call(work)


def _status(ctx: AppContext) -> dict[int, tuple[str, int, str | None]]:
    return ctx.call(
        lambda s: {r.chat_id: (r.status, r.attempts, r.last_error) for r in s.query(Outbox)}
    )


async def test_429_holds_back_only_the_chat_that_got_it(ctx, harness) -> None:
    _queue(ctx, [1, 2])
    harness.api.fail(429, retry_after=1, method="sendMessage", chat_id=1)
    bot = harness.chat.app.bot
    t0 = time.monotonic()
    sent = await outbox.deliver_due(bot, ctx, pacer=outbox.Pacer(1000, 0), concurrency=1)
    calls = harness.api.calls_to("sendMessage")
    # Chat 2 went at once: only chat 1 waits out its retry_after (Telegram's limits are per
    # chat; a global pause would hold up every collector's plan behind one chat).
    assert sent == 1 and [c.params["chat_id"] for c in calls] == [1, 2]
    assert calls[1].at - calls[0].at < 0.5 and time.monotonic() - t0 < 0.9
    st = _status(ctx)
    assert st[1][0] == "pending" and st[1][1] == 0 and "429" in (st[1][2] or "")
    assert await outbox.deliver_due(bot, ctx) == 0  # not due before retry_after
    ctx.clock.advance(timedelta(seconds=1))
    assert await outbox.deliver_due(bot, ctx) == 1
    assert len(harness.api.sent(1)) == 1


async def test_403_deactivates_binding_and_tells_hr_once(ctx, harness) -> None:
    now = ctx.clock.now()

    def org(s):  # type: ignore[no-untyped-def]
        b = f.branch(s, "SH")
        e = f.employee(s, "C0001", b, name="张三")
        f.bind(s, e, 7, now)
        f.hr_chat(s, -500, b, now)

    ctx.call(org)
    _queue(ctx, [7])
    _queue(ctx, [7], kind="plan_nudge")
    harness.api.fail(403, description="Forbidden: bot was blocked by the user", chat_id=7, times=5)
    bot = harness.chat.app.bot
    await outbox.deliver_due(bot, ctx, pacer=outbox.Pacer(1000, 0), concurrency=1)
    await outbox.deliver_due(bot, ctx, pacer=outbox.Pacer(1000, 0))
    assert ctx.call(lambda s: s.query(TelegramBinding).one().active) is False
    hr = harness.api.sent(-500)
    assert len(hr) == 1 and "C0001" in hr[0].text and "屏蔽" in hr[0].text
    # The other queued message was skipped, not sent into the wall again.
    assert len(harness.api.calls_to("sendMessage")) == 2
    _queue(ctx, [7], kind="later")
    await outbox.deliver_due(bot, ctx, pacer=outbox.Pacer(1000, 0))
    assert len(harness.api.sent(-500)) == 1


async def test_5xx_and_timeouts_back_off_then_succeed(ctx, harness) -> None:
    _queue(ctx, [3, 4])
    harness.api.fail(502, description="Bad Gateway", chat_id=3, times=2)
    harness.api.fail(0, timeout=True, chat_id=4)
    bot = harness.chat.app.bot
    assert await outbox.deliver_due(bot, ctx, pacer=outbox.Pacer(1000, 0)) == 0
    nxt = ctx.call(lambda s: {r.chat_id: r.next_attempt_at for r in s.query(Outbox)})
    now = ctx.clock.now()
    assert all(timedelta(seconds=3.9) <= v - now <= timedelta(seconds=6.1) for v in nxt.values())
    ctx.clock.advance(timedelta(seconds=7))
    assert await outbox.deliver_due(bot, ctx) == 1  # 4 succeeds; 3 fails again (second 502)
    later = ctx.call(lambda s: s.query(Outbox).filter_by(chat_id=3).one().next_attempt_at)
    assert later - ctx.clock.now() >= timedelta(seconds=7.9)  # doubled
    ctx.clock.advance(timedelta(seconds=13))
    assert await outbox.deliver_due(bot, ctx) == 1
    assert {k: v[0] for k, v in _status(ctx).items()} == {3: "sent", 4: "sent"}
    assert len(harness.api.sent(3)) == len(harness.api.sent(4)) == 1


async def test_gives_up_after_max_attempts(ctx, harness) -> None:
    _queue(ctx, [5])
    harness.api.fail(500, chat_id=5, times=100)
    bot = harness.chat.app.bot
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        await outbox.deliver_due(bot, ctx, pacer=outbox.Pacer(1000, 0))
        ctx.clock.advance(timedelta(hours=2))
    st = _status(ctx)[5]
    assert st[0] == "failed" and st[1] == outbox.MAX_ATTEMPTS and "gave up" in (st[2] or "")


async def test_two_workers_never_double_send(ctx, harness) -> None:
    chats = list(range(1000, 1200))
    _queue(ctx, chats)
    harness.api.latency_s = 0.01
    other = AppContext(settings=ctx.settings, db=Database(ctx.db.url), clock=ctx.clock)
    bot = harness.chat.app.bot
    # Open both pools first, so neither worker finishes before the other has connected.
    for c in (ctx, other):
        c.call(lambda s: s.execute(text("SELECT 1")))
    try:
        a, b = await asyncio.gather(
            outbox.deliver_due(bot, ctx, limit=10, pacer=outbox.Pacer(1000, 0)),
            outbox.deliver_due(bot, other, limit=10, pacer=outbox.Pacer(1000, 0)),
        )
    finally:
        other.db.dispose()
    assert a + b == 200  # (how they split depends on timing)
    per_chat = [len(harness.api.sent(c)) for c in chats]
    assert per_chat == [1] * 200


class VirtualTime:
    """A clock that only moves when every task is waiting: pacing is checked exactly, with
    no dependence on how busy the machine is."""

    def __init__(self) -> None:
        self.now = 0.0
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (self.now + max(delay, 0.0), next(self._seq), fut))
        await fut

    async def run(self, *coros: Any) -> None:
        tasks = [asyncio.ensure_future(c) for c in coros]
        while not all(t.done() for t in tasks):
            for _ in range(20):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if self._waiters:
                at, _, fut = heapq.heappop(self._waiters)
                self.now = max(self.now, at)
                fut.set_result(None)
        for t in tasks:
            t.result()


async def test_pacer_keeps_global_and_per_chat_rate() -> None:
    vt = VirtualTime()
    pacer = outbox.Pacer(rate=50, per_chat_interval=0.2, clock=vt.monotonic, sleep=vt.sleep)
    stamps: list[tuple[int, float]] = []

    async def one(chat: int) -> None:
        await pacer.wait(chat)
        stamps.append((chat, vt.now))

    await vt.run(*(one(c) for c in [1, 1, 1, 2, 3, 4, 5, 6]))
    times = sorted(t for _, t in stamps)
    # Never faster than 50/s overall.
    assert all(b - a >= 0.02 - 1e-9 for a, b in itertools.pairwise(times))
    ones = sorted(t for c, t in stamps if c == 1)
    assert ones[1] - ones[0] >= 0.2 - 1e-9 and ones[2] - ones[1] >= 0.2 - 1e-9
    # Chat 1 waiting for its own slot does not hold up the other chats.
    others = sorted(t for c, t in stamps if c != 1)
    assert others[-1] <= 6 * 0.02 + 1e-9


async def test_pacer_pause_holds_everyone() -> None:
    vt = VirtualTime()
    pacer = outbox.Pacer(rate=100, per_chat_interval=0.0, clock=vt.monotonic, sleep=vt.sleep)
    pacer.pause(5.0)  # a 429 with retry_after=5
    stamps: list[float] = []

    async def one(chat: int) -> None:
        await pacer.wait(chat)
        stamps.append(vt.now)

    await vt.run(*(one(c) for c in range(3)))
    assert min(stamps) >= 5.0 and max(stamps) <= 5.0 + 2 * 0.01 + 1e-9


def test_lease_lost_to_another_worker_is_detected(ctx) -> None:  # type: ignore[no-untyped-def]
    _queue(ctx, [9])
    mine = ctx.call(outbox.claim_due, ctx.clock.now(), 10)
    assert [r.chat_id for r in mine] == [9]
    assert ctx.call(outbox.claim_due, ctx.clock.now(), 10) == []  # leased to us
    ctx.clock.advance(timedelta(minutes=1))
    assert ctx.call(outbox.renew_lease, mine[0], ctx.clock.now())  # still ours: extended
    ctx.clock.advance(outbox.LEASE + timedelta(seconds=1))  # we stalled past the lease
    theirs = ctx.call(outbox.claim_due, ctx.clock.now(), 10)
    assert [r.id for r in theirs] == [mine[0].id]
    assert not ctx.call(outbox.renew_lease, mine[0], ctx.clock.now())  # so we must not send


async def test_drain_finishes_sends_on_the_wire_and_hands_the_rest_back(ctx, harness) -> None:
    chats = list(range(1, 41))
    _queue(ctx, chats)
    harness.api.latency_s = 0.2  # requests are on the wire when the stop comes
    bot = harness.chat.app.bot
    task = asyncio.create_task(
        outbox.deliver_due(bot, ctx, pacer=outbox.Pacer(20, 0), concurrency=4)
    )
    await asyncio.sleep(0.5)
    assert await outbox.drain(ctx, timeout=5)
    sent = await task
    on_wire_at_stop = len(harness.api.calls_to("sendMessage"))
    delivered = {c for c in chats if harness.api.sent(c)}
    assert 0 < sent == len(delivered) == on_wire_at_stop < len(chats)
    rows = ctx.call(
        lambda s: {r.chat_id: (r.status, r.attempts, r.lease_until) for r in s.query(Outbox)}
    )
    # Everything Telegram accepted is recorded as sent: a restart will not send it again.
    assert {c for c, v in rows.items() if v[0] == "sent"} == delivered
    # The rest is handed back: pending, lease cleared, the attempt not counted.
    rest = {c: v for c, v in rows.items() if c not in delivered}
    assert rest and all(v == ("pending", 0, None) for v in rest.values())
    assert await outbox.deliver_due(bot, ctx) == 0  # a drained worker claims nothing
    # A restarted process sends them at once (not after the lease), each exactly once.
    restarted = AppContext(ctx.settings, ctx.db, ctx.clock)
    harness.api.latency_s = 0.0
    assert await outbox.deliver_due(bot, restarted, pacer=outbox.Pacer(1000, 0)) == len(rest)
    assert all(len(harness.api.sent(c)) == 1 for c in chats)


def test_reclaim_keeps_the_callers_own_rows(ctx) -> None:  # type: ignore[no-untyped-def]
    """A sender re-taking its lease after a database outage (it had run out) hands back the
    rows it only claimed, not those it has on the wire or sent without a stored mark."""
    _queue(ctx, [1, 2, 3])
    claimed = ctx.call(outbox.claim_due, ctx.clock.now(), 10, owner="gone-for-a-while")
    assert len(claimed) == 3
    mine = {claimed[0].id, claimed[1].id}
    assert ctx.call(senders.reclaim_orphans, ctx.clock.now(), mine) == 1
    st = ctx.call(lambda s: {r.id: r.status for r in s.query(Outbox)})
    assert [st[c.id] for c in claimed] == ["sending", "sending", "pending"]
    assert ctx.call(senders.reclaim_orphans, ctx.clock.now()) == 2  # another keeps nothing


async def test_a_batch_claimed_as_the_database_went_away_goes_out_next_round(
    ctx, harness, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The claim went in, then handing the chats' extra rows back failed (the database went
    away): the whole batch is handed back at the next round, not left `sending` until its
    2-min lease runs out (bench/fanout.py --faults, dbdown: 138 s instead of 20)."""
    import pytest
    from sqlalchemy.exc import DBAPIError, OperationalError

    from bot.outbox import sender

    _queue(ctx, [1, 2])
    _queue(ctx, [1, 2], kind="plan_recap")  # a second row per chat: handed back for later
    real, failed = sender._release, []

    def flaky(s, row, due=None):  # type: ignore[no-untyped-def]
        if not failed:
            failed.append(row.id)
            raise OperationalError("UPDATE outbox", {}, Exception("connection refused"))
        return real(s, row, due)

    monkeypatch.setattr(sender, "_release", flaky)
    bot = harness.chat.app.bot
    with pytest.raises(DBAPIError):
        await outbox.deliver_due(bot, ctx, pacer=outbox.Pacer(1000, 0))
    assert {st for st, _, _ in _status(ctx).values()} == {"sending"}
    assert await outbox.deliver_due(bot, ctx, pacer=outbox.Pacer(1000, 0)) == 4
    assert [len(harness.api.sent(c)) for c in (1, 2)] == [2, 2]
