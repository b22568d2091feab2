"""A fan-out run split into chunks that several claimers share (bot/jobs/chunks.py), and
several senders sharing the outbox (bot/outbox/senders.py): nobody planned or sent twice,
nobody missed, a dead claimer's chunk and a dead sender's rows taken over."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, text

import bot.jobs.plans as plan_jobs
from bot import outbox
from bot.context import AppContext
from bot.jobs import chunks
from bot.outbox import senders
from bot.outbox.store import share_of
from coaching.calendar import all_branches
from coaching.clock import FrozenClock
from db.models import JobChunk, Outbox
from tests import factories as f
from tests.plans_helpers import case
from tests.servers import wait_for

N = 60  # collectors; chunks of 5 -> 12 chunks


def _org(ctx: AppContext) -> list[int]:
    def work(s):  # type: ignore[no-untyped-def]
        b = f.branch(s)
        ids = []
        for i in range(N):
            e = f.employee(s, f"C{i:04d}", b)
            f.bind(s, e, 7_000 + i, ctx.clock.now())
            case(s, e, f"K{i:04d}", 20_000 + i, target=True)
            ids.append(e.id)
        return ids

    return ctx.call(work)


def _twin(ctx: AppContext, clock: FrozenClock | None = None) -> AppContext:
    """Another "process" on the same database: its own owner name and builder lock."""
    return AppContext(ctx.settings, ctx.db, clock or ctx.clock)


def _small_chunks(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctx.settings, "fanout_chunk", 5)


def _plan_rows(ctx: AppContext) -> list[tuple[int | None, str]]:
    return ctx.call(
        lambda s: [
            (r.employee_id, r.dedupe_key)
            for r in s.execute(select(Outbox).where(Outbox.kind == "plan_morning")).scalars()
        ]
    )


def test_two_claimers_split_the_chunks_nobody_twice_nobody_missed(ctx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ids = _org(ctx)
    _small_chunks(ctx, monkeypatch)
    helper = _twin(ctx)
    built: list[tuple[int, str]] = []  # (chunk id, thread) per build
    helper_built = threading.Event()
    real = chunks.BUILDERS["morning_plan"]

    def counting(s, chunk, branch, now):  # type: ignore[no-untyped-def]
        me = threading.current_thread().name
        if me == "job":  # the job's process waits until the helper has built one: both share
            assert helper_built.wait(30), "the helper never claimed a chunk"
        n = real(s, chunk, branch, now)
        built.append((chunk.id, me))
        if me == "helper":
            helper_built.set()
        return n

    monkeypatch.setitem(chunks.BUILDERS, "morning_plan", counting)
    branch = ctx.call(all_branches)[0]
    result: list[str] = []
    job = threading.Thread(
        target=lambda: result.append(plan_jobs.morning_plan(ctx, branch, ctx.clock.now())),
        name="job",
    )
    stop = threading.Event()

    def help_loop() -> None:
        while not stop.is_set():
            if not chunks.help_once(helper):
                stop.wait(0.01)

    helping = threading.Thread(target=help_loop, name="helper")
    helping.start()
    job.start()
    job.join(60)
    stop.set()
    helping.join(10)
    assert not job.is_alive()
    assert result == [f"{N} plans queued for {N} collectors (0 already queued)"]
    per_chunk = Counter(c for c, _ in built)
    assert len(per_chunk) == N // 5 and set(per_chunk.values()) == {1}, per_chunk
    by = Counter(who for _, who in built)
    assert by["job"] > 0 and by["helper"] > 0, by
    rows = _plan_rows(ctx)
    assert sorted(e for e, _ in rows) == sorted(ids)  # each collector once, nobody missed
    owners = ctx.call(lambda s: set(s.execute(select(JobChunk.owner)).scalars()))
    assert owners == {chunks.owner(ctx), chunks.owner(helper)}


def test_a_dead_claimers_chunk_is_taken_over_after_its_lease(ctx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ids = _org(ctx)
    _small_chunks(ctx, monkeypatch)
    branch = ctx.call(all_branches)[0]
    now = ctx.clock.now()
    key = f"morning_plan:{branch.code}:{branch.local(now).date().isoformat()}"
    assert ctx.call(chunks.split, key, "morning_plan", branch.id, now, ids, 5) == N // 5
    dead = ctx.call(chunks.claim, "dead-process", now, key)  # claimed, then the process died
    assert dead is not None and dead.seq == 0
    result: list[str] = []
    job = threading.Thread(
        target=lambda: result.append(plan_jobs.morning_plan(ctx, branch, now)), name="job"
    )
    job.start()
    # The job builds every other chunk, then waits: the dead one's lease has not run out.
    wait_for(lambda: ctx.call(chunks.progress, key)[0] == 1, 30, "all but the dead chunk")
    assert job.is_alive()
    assert len(_plan_rows(ctx)) == N - 5
    ctx.clock.set(now + chunks.CHUNK_LEASE + timedelta(seconds=1))  # the lease runs out
    job.join(30)
    assert not job.is_alive() and result
    assert sorted(e for e, _ in _plan_rows(ctx)) == sorted(ids)
    taken = ctx.call(lambda s: s.get(JobChunk, dead.id))
    assert taken.status == "done" and taken.owner == chunks.owner(ctx)


def test_a_chunk_past_its_jobs_grace_is_closed_not_built(ctx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The scheduler skips a run missed by more than its grace; an open chunk must not send
    it anyway hours later (every process down from 09:00 to 15:00, then one comes back), and
    a chunk whose build always fails is retried within that window only, not forever."""
    ids = _org(ctx)
    _small_chunks(ctx, monkeypatch)
    branch = ctx.call(all_branches)[0]
    now = ctx.clock.now()
    key = f"morning_plan:{branch.code}:{branch.local(now).date().isoformat()}"
    ctx.call(chunks.split, key, "morning_plan", branch.id, now, ids, 5)
    calls: list[int] = []
    real = chunks.BUILDERS["morning_plan"]

    def failing_first(s, chunk, branch, at):  # type: ignore[no-untyped-def]
        calls.append(chunk.seq)
        if chunk.seq == 0:
            raise RuntimeError("a template error")
        return real(s, chunk, branch, at)

    monkeypatch.setitem(chunks.BUILDERS, "morning_plan", failing_first)
    with pytest.raises(RuntimeError):
        chunks.help_once(ctx)  # within grace: tried (and failed)
    assert calls == [0]
    ctx.clock.set(now + timedelta(hours=6))
    helper = _twin(ctx)
    while chunks.help_once(helper):
        pass
    assert calls == [0], "built after its grace"
    assert _plan_rows(ctx) == []
    assert ctx.call(chunks.progress, key)[0] == 0  # closed: nobody waits for it, nobody retries


def test_a_rerun_keeps_done_chunks_and_a_forced_one_resplits(ctx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _org(ctx)
    _small_chunks(ctx, monkeypatch)
    branch = ctx.call(all_branches)[0]
    now = ctx.clock.now()
    plan_jobs.morning_plan(ctx, branch, now)
    again = plan_jobs.morning_plan(ctx, branch, now)  # all done: split afresh, nothing new
    assert again == f"0 plans queued for {N} collectors ({N} already queued)"
    assert len(_plan_rows(ctx)) == N


def _queue(ctx: AppContext, chats: range) -> None:
    rows = [dict(key=f"m:{c}", kind="t", chat_id=c, payload={"text": "x"}) for c in chats]
    ctx.call(outbox.enqueue_many, rows, now=ctx.clock.now())


def test_senders_split_the_chats_and_a_dead_senders_rows_go_back(ctx) -> None:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    ttl = timedelta(seconds=10)
    _queue(ctx, range(100, 140))
    a = ctx.call(senders.register, "a", now, ttl, frozenset())
    b = ctx.call(senders.register, "b", now, ttl, frozenset())
    assert b == (1, 2)
    a = ctx.call(senders.register, "a", now, ttl, frozenset())
    assert a == (0, 2)
    mine = ctx.call(outbox.claim_due, now, 100, owner="a", part=a)
    theirs = ctx.call(outbox.claim_due, now, 100, owner="b", part=b)
    assert {share_of(r.chat_id, 2) for r in mine} == {0}
    assert {share_of(r.chat_id, 2) for r in theirs} == {1}
    # The ids are consecutive: both get some (the hash spreads patterned ids, see store.py).
    assert mine and theirs
    assert len(mine) + len(theirs) == 40
    assert not {r.id for r in mine} & {r.id for r in theirs}
    # b renews; a does not (killed): once a's lease is out, b hands a's rows back at once, not
    # after their 2-minute outbox lease, and keeps its own.
    later = now + ttl + timedelta(seconds=1)
    assert ctx.call(senders.register, "b", later, ttl, frozenset()) == (0, 1)
    status = ctx.call(lambda s: Counter((r.claimed_by, r.status) for r in s.query(Outbox)))
    assert status == {(None, "pending"): len(mine), ("b", "sending"): len(theirs)}
    again = ctx.call(outbox.claim_due, later, 100, owner="b", part=(0, 1))
    assert sorted(r.id for r in again) == sorted(r.id for r in mine)


def test_a_live_senders_rows_are_never_taken(ctx) -> None:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    ttl = timedelta(seconds=10)
    _queue(ctx, range(200, 210))
    ctx.call(senders.register, "a", now, ttl, frozenset())
    claimed = ctx.call(outbox.claim_due, now, 100, owner="a")
    assert len(claimed) == 10
    assert ctx.call(senders.reclaim_orphans, now + timedelta(seconds=5)) == 0
    assert ctx.call(senders.register, "b", now + timedelta(seconds=5), ttl, frozenset()) == (1, 2)
    assert ctx.call(lambda s: {r.status for r in s.query(Outbox)}) == {"sending"}


def test_a_claim_takes_at_most_its_limit_whatever_the_plan(ctx) -> None:  # type: ignore[no-untyped-def]
    """Statistics from a quiet outbox (ANALYZE when nothing was due) once made PostgreSQL
    re-run the claim's LIMIT … SKIP LOCKED subquery per row: one claim took every due row."""
    if ctx.db.engine.dialect.name == "postgresql":
        with ctx.db.engine.connect() as c:
            c.execute(text("ANALYZE outbox"))
            c.commit()
    _queue(ctx, range(1_000, 1_600))
    first = ctx.call(outbox.claim_due, ctx.clock.now(), 50, owner="a")
    assert len(first) == 50
    rest = ctx.call(outbox.claim_due, ctx.clock.now(), 1_000, owner="b")
    assert len(rest) == 550 and not {r.id for r in first} & {r.id for r in rest}
