"""Bot processes wake each other (db/wakeups.py, issue #22): a split fan-out and queued outbox
rows reach the other processes at commit (PostgreSQL NOTIFY), not at their next idle poll."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import pytest
from sqlalchemy import select

from bot import outbox
from bot.context import AppContext
from bot.jobs import chunks
from db import wakeups
from db.models import Outbox
from tests import factories as f


def _queue(ctx: AppContext, chats: list[int], tag: str) -> None:
    rows = [dict(key=f"{tag}:{c}", kind="t", chat_id=c, payload={"text": "x"}) for c in chats]
    ctx.call(outbox.enqueue_many, rows, now=ctx.clock.now())


async def _listen_for(ctx: AppContext, act, seconds: float = 5.0) -> list[str]:  # type: ignore[no-untyped-def]
    heard: list[str] = []
    got = asyncio.Event()
    stop = asyncio.Event()

    def on(channel: str) -> None:
        heard.append(channel)
        got.set()

    task = asyncio.create_task(wakeups.listen(ctx.db.engine, on, stop))
    await asyncio.sleep(0.5)  # LISTEN issued
    await asyncio.to_thread(act)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(got.wait(), seconds)
    await asyncio.sleep(0.2)
    stop.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return heard


def _pg(ctx: AppContext) -> None:
    if ctx.db.engine.dialect.name != "postgresql":
        pytest.skip("wake-ups are PostgreSQL NOTIFY (SQLite: one process, idle polls)")


async def test_a_split_fan_out_and_queued_rows_wake_the_other_processes(ctx: AppContext) -> None:
    _pg(ctx)
    now = ctx.clock.now()

    branch = ctx.call(lambda s: f.branch(s).id)

    def split() -> None:
        key = "morning_plan:X:2026-03-02"
        ctx.call(chunks.split, key, "morning_plan", branch, now, [1, 2, 3], 2)

    assert await _listen_for(ctx, split) == [wakeups.CHUNKS]
    assert await _listen_for(ctx, lambda: _queue(ctx, [5, 6, 7], "q")) == [wakeups.OUTBOX]
    # One row, queued on its own (an alert, a reply to a chat another process sends).
    one = dict(kind="t", chat_id=8, payload={"text": "x"}, now=now)
    assert await _listen_for(ctx, lambda: ctx.call(outbox.enqueue, key="one", **one)) == [
        wakeups.OUTBOX
    ]


async def test_no_wake_up_for_nothing_new_or_a_rolled_back_transaction(ctx: AppContext) -> None:
    _pg(ctx)
    _queue(ctx, [5, 6], "q")

    def again_and_rollback() -> None:
        _queue(ctx, [5, 6], "q")  # already queued: nothing new, nobody woken
        with pytest.raises(RuntimeError), ctx.db.session() as s:
            outbox.enqueue_many(s, [dict(key="r", kind="t", chat_id=9, payload={})], now=now)
            raise RuntimeError("rolled back")

    now = ctx.clock.now()
    assert await _listen_for(ctx, again_and_rollback, seconds=1.0) == []
    assert ctx.call(lambda s: s.scalar(select(Outbox.id).where(Outbox.dedupe_key == "r"))) is None


async def test_a_finished_chunk_wakes_the_job_waiting_for_its_run(ctx: AppContext) -> None:
    _pg(ctx)
    now = ctx.clock.now()
    branch = ctx.call(lambda s: f.branch(s).id)
    key = "morning_plan:X:2026-03-02"
    ctx.call(chunks.split, key, "morning_plan", branch, now, [1, 2, 3], 2)
    first = ctx.call(chunks.claim, "other", now, key)
    assert first is not None
    assert await _listen_for(ctx, lambda: ctx.call(chunks.finish, first.id, 0, now)) == [
        wakeups.CHUNKS
    ]


def test_the_job_goes_on_when_the_last_chunk_is_finished_not_at_its_next_poll(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chunks.run_all waits on the process's `chunks_changed` (set by the Background for
    another process's NOTIFY), WAIT_S being only the fallback poll."""
    monkeypatch.setattr(chunks, "WAIT_S", 30.0)
    now = ctx.clock.now()
    branch = ctx.call(lambda s: f.branch(s).id)
    key = "morning_plan:X:2026-03-02"
    ctx.call(chunks.split, key, "morning_plan", branch, now, [1], 5)
    theirs = ctx.call(chunks.claim, "other", now, key)  # the only chunk: another process's
    assert theirs is not None
    changed = ctx.extras["chunks_changed"] = threading.Event()
    done: list[tuple[int, int]] = []
    job = threading.Thread(target=lambda: done.append(chunks.run_all(ctx, key)))
    job.start()
    time.sleep(0.3)
    assert job.is_alive()  # waiting for the other process's chunk
    ctx.call(chunks.finish, theirs.id, 1, now)
    t0 = time.monotonic()
    changed.set()  # what the Background does on the finish's NOTIFY
    job.join(10)
    assert done == [(1, 1)] and time.monotonic() - t0 < 2
