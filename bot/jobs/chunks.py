"""Fan-out runs shared by every bot process: a run (the morning plan of one branch and day) is
split into chunks of employee ids recorded in `job_chunks`; every process claims open chunks
one at a time, builds them and queues their messages in one transaction, so N processes build
one morning in about 1/N of the time.

- The process that runs the job (the scheduler lease holder, or the CLI) splits the run and
  claims chunks too; it returns once every chunk of the run is done, whoever built it.
- A claim is a short lease (CHUNK_LEASE): a chunk whose claimer died is claimed again once the
  lease runs out — within seconds. A claim is one conditional UPDATE (with FOR UPDATE SKIP
  LOCKED on PostgreSQL), so two processes never get the same chunk from one claim.
- Exactly once per person and day still rests on the outbox's `dedupe_key`: a chunk built twice
  (a claimer too slow for its lease) queues nothing twice.
- One chunk at a time per process (`builder_lock`): a second building thread would only fight
  the first one (and the event loop) for the GIL.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.context import AppContext
from coaching.calendar import BranchInfo, all_branches
from db import wakeups
from db.leases import new_owner_id
from db.models import JobChunk

log = logging.getLogger(__name__)

CHUNK_LEASE = timedelta(seconds=10)
WAIT_S = 0.1  # the job's process, waiting for chunks other processes are building


@dataclass(frozen=True)
class Chunk:
    id: int
    run_key: str
    job: str
    branch_id: int
    at: datetime
    seq: int
    lo: int | None
    hi: int | None


# job name -> builder(session, chunk, branch, now) -> rows queued; filled by the job modules.
BUILDERS: dict[str, Callable[[Session, Chunk, BranchInfo, datetime], int]] = {}


def owner(ctx: AppContext) -> str:
    """This process's name on claims (the Background sets it to its lease owner)."""
    return ctx.extras.setdefault("owner", new_owner_id())


def builder_lock(ctx: AppContext) -> threading.Lock:
    lock = ctx.extras.get("chunk_lock")
    if lock is None:
        lock = ctx.extras.setdefault("chunk_lock", threading.Lock())
    return lock


# --- the table ---------------------------------------------------------------------------------


def split(
    s: Session,
    run_key: str,
    job: str,
    branch_id: int,
    at: datetime,
    ids: Sequence[int],
    size: int,
) -> int:
    """Record the run's chunks (sorted `ids`, `size` each) unless it has open ones: a re-run
    after a crash keeps the chunks and what they queued. A run whose chunks are all done (a
    forced re-run) is split afresh. The ranges are contiguous and the first and last are open-
    ended, so someone bound after the split still falls in a chunk. Returns the open chunks."""
    states = list(s.execute(select(JobChunk.status).where(JobChunk.run_key == run_key)).scalars())
    if "open" in states:
        return states.count("open")
    if states:
        s.execute(delete(JobChunk).where(JobChunk.run_key == run_key))
    starts = list(ids[::size])
    rows = [
        dict(
            run_key=run_key,
            job=job,
            branch_id=branch_id,
            at=at,
            seq=k,
            lo=None if k == 0 else first,
            hi=None if k == len(starts) - 1 else starts[k + 1] - 1,
            size=min(size, len(ids) - k * size),
            status="open",
            queued=0,
        )
        for k, first in enumerate(starts)
    ]
    if rows:
        ins = (pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert)(JobChunk)
        # A concurrent split of the same run (a forced CLI run beside the scheduler) adds none.
        s.execute(ins.on_conflict_do_nothing(index_elements=["run_key", "seq"]), rows)
        wakeups.notify(s, wakeups.CHUNKS)  # the other processes start helping at commit
    return len(rows)


def _free(now: datetime) -> object:
    return and_(
        JobChunk.status == "open",
        or_(JobChunk.lease_until.is_(None), JobChunk.lease_until < now),
    )


def claim(s: Session, who: str, now: datetime, run_key: str | None = None) -> Chunk | None:
    """Claim the oldest free chunk (of `run_key`, or of any run) for CHUNK_LEASE."""
    free = _free(now)
    q = select(JobChunk.id).where(free)
    if run_key is not None:
        q = q.where(JobChunk.run_key == run_key)
    if s.execute(q.limit(1)).first() is None:  # the common idle case: no write, no lock
        return None
    first = q.order_by(JobChunk.id).limit(1).with_for_update(skip_locked=True).scalar_subquery()
    row = s.execute(
        update(JobChunk)
        .where(JobChunk.id == first, free)
        .values(owner=who, lease_until=now + CHUNK_LEASE)
        .returning(
            JobChunk.id,
            JobChunk.run_key,
            JobChunk.job,
            JobChunk.branch_id,
            JobChunk.at,
            JobChunk.seq,
            JobChunk.lo,
            JobChunk.hi,
        )
        .execution_options(synchronize_session=False)
    ).first()
    return Chunk(*row) if row is not None else None


def finish(s: Session, chunk_id: int, queued: int, now: datetime) -> None:
    s.execute(
        update(JobChunk)
        .where(JobChunk.id == chunk_id)
        .values(status="done", queued=JobChunk.queued + queued, done_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    # The job's process waits for its run's last chunk (run_all): it goes on at once.
    wakeups.notify(s, wakeups.CHUNKS)


def progress(s: Session, run_key: str) -> tuple[int, int, int]:
    """(open chunks, rows queued, people) of a run."""
    open_, queued, size = s.execute(
        select(
            func.count().filter(JobChunk.status == "open"),
            func.coalesce(func.sum(JobChunk.queued), 0),
            func.coalesce(func.sum(JobChunk.size), 0),
        ).where(JobChunk.run_key == run_key)
    ).one()
    return int(open_), int(queued), int(size)


def prune(s: Session, before: datetime) -> int:
    """Forget done chunks older than `before` (the outbox keeps what they queued)."""
    res = s.execute(
        delete(JobChunk)
        .where(JobChunk.status == "done", JobChunk.done_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(res.rowcount or 0)


# --- building ----------------------------------------------------------------------------------


def _grace(job: str) -> timedelta | None:
    from bot.jobs.registry import JOBS

    return next((spec.grace for spec in JOBS if spec.name == job), None)


def build(ctx: AppContext, chunk: Chunk) -> int:
    """Build one claimed chunk and mark it done, in one transaction. Returns rows queued."""
    if not BUILDERS:
        import bot.jobs.plans  # noqa: F401 (registers the plan builders)
    fn = BUILDERS[chunk.job]

    def work(s: Session) -> int:
        branch = next(b for b in all_branches(s) if b.id == chunk.branch_id)
        now = ctx.clock.now()
        n = fn(s, chunk, branch, now)
        finish(s, chunk.id, n, now)
        return n

    n = ctx.call(work)
    if (built := ctx.extras.get("on_chunk_built")) is not None:
        built()  # the process's outbox loop sends what was just queued
    return n


def help_once(ctx: AppContext) -> bool:
    """Claim and build one chunk of any run, unless this process is building one already.
    True when a chunk was built (the caller looks for the next one at once)."""
    lock = builder_lock(ctx)
    if not lock.acquire(blocking=False):
        return False
    try:
        now = ctx.clock.now()
        chunk = ctx.call(claim, owner(ctx), now)
        if chunk is None:
            return False
        # A run nobody is running any more (the scheduler skips one missed by more than its
        # grace): its chunk left open (every process down for hours, or a build that always
        # fails) is closed unbuilt, not sent late or retried for ever. The job's own process
        # (run_all: the scheduler within grace, or a forced run) builds whatever is open.
        grace = _grace(chunk.job)
        if grace is not None and now - chunk.at > grace:
            ctx.call(finish, chunk.id, 0, now)
            log.warning(
                "fan-out chunk %s/%d closed unbuilt: %s after its run, past the job's grace",
                chunk.run_key,
                chunk.seq,
                str(now - chunk.at).split(".")[0],
            )
            return True
        n = build(ctx, chunk)
        log.debug("chunk %s/%d built: %d queued", chunk.run_key, chunk.seq, n)
        return True
    finally:
        lock.release()


def run_all(ctx: AppContext, run_key: str) -> tuple[int, int]:
    """Build the run's chunks with whoever else helps, until all are done (a dead helper's
    chunk is claimed again when its lease runs out). Returns (rows queued, people)."""
    lock = builder_lock(ctx)
    who = owner(ctx)
    # Set by the process's Background when another process finished or split chunks
    # (db/wakeups.py); without one (the CLI, SQLite) the wait is a plain WAIT_S poll.
    changed: threading.Event | None = ctx.extras.get("chunks_changed")
    while True:
        with lock:
            chunk = ctx.call(claim, who, ctx.clock.now(), run_key)
            if chunk is not None:
                build(ctx, chunk)
                continue
        if changed is not None:
            changed.clear()  # before looking: a chunk finished after this wakes the wait
        open_, queued, size = ctx.call(progress, run_key)
        if not open_:
            return queued, size
        if changed is not None:
            changed.wait(WAIT_S)
        else:
            time.sleep(WAIT_S)
