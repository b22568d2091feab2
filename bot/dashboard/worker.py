"""The dashboard precompute runs in a separate process, never in the bot's.

Computing a branch's parts (every scorecard, the training analytics, the risk view) raised a
fresh bot process's peak memory by ~99 MB for 5,000 collectors, and glibc keeps most of a
peak once reached: the bot process, whose memory is bounded (issue #22: ≤ 300 MB during a
morning fan-out beside 8 imports), carried it from then on. So the `dashboard_precompute`
job keeps its cheap checks (`snapshots.due`, three small statements) in the bot and hands
`snapshots.refresh` to one worker process (spawned, not forked: the bot has threads). The
worker reads the database itself and writes the parts there in one transaction, as the job
did, so only the branch, the inputs and two numbers cross the pipe.

The worker starts on the first refresh and retires after IDLE_S without one (refreshes come
in bursts: every branch in the same minute, then nothing until an import or the next day), so
an idle bot holds no second interpreter. After each refresh it collects and trims its heap.
A worker that dies is replaced and the refresh is run again, once; an error in a refresh is
raised to the job, which logs it and leaves the run to be retried — the bot carries on.

`COACHBOT_DASHBOARD_PROCESS=0` computes in the calling thread instead (as does an in-memory
SQLite database, which another process cannot open).
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Any

from bot import procs
from bot.context import AppContext
from bot.dashboard import snapshots
from coaching.calendar import BranchInfo

log = logging.getLogger(__name__)

IDLE_S = 180.0

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_busy = 0
_idle: threading.Timer | None = None
_db: Any = None  # in the worker: its Database, opened on the first refresh


def in_process() -> bool:
    return os.environ.get("COACHBOT_DASHBOARD_PROCESS", "1").strip().lower() in (
        "1",
        "true",
        "yes",
    )


def _shareable(url: str) -> bool:
    return not (url.startswith("sqlite") and (":memory:" in url or url.rstrip("/") == "sqlite:"))


# --- in the worker process ---------------------------------------------------------------


def _trim() -> None:
    """Give freed heap back to the OS (glibc only), so an idle worker stays small."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _refresh(
    url: str, b: BranchInfo, now: datetime, inp: snapshots.Inputs, everywhere: bool
) -> tuple[int, float]:
    global _db
    from db.session import Database

    if _db is None or _db.url != url:
        _db = (
            Database(url, pool_size=1, max_overflow=0)
            if not url.startswith("sqlite")
            else (Database(url))
        )
    try:
        with _db.session() as s:
            return snapshots.refresh(s, b, now, inp, everywhere)
    except Exception as exc:
        try:
            pickle.dumps(exc)
        except Exception:  # the caller must get the error, not a broken pool
            raise RuntimeError(f"dashboard refresh failed: {exc!r}") from None
        raise
    finally:
        _trim()


def _pid() -> int:
    return os.getpid()


# --- in the bot process ------------------------------------------------------------------


def _get_pool() -> ProcessPoolExecutor:
    global _pool, _busy, _idle
    with _lock:
        if _idle is not None:
            _idle.cancel()
            _idle = None
        if _pool is None:
            _pool = procs.one_process()
        _busy += 1
        return _pool


def _release(pool: ProcessPoolExecutor) -> None:
    global _busy, _idle
    with _lock:
        _busy -= 1
        if _busy == 0 and _pool is pool:
            _idle = threading.Timer(IDLE_S, _retire, (pool,))
            _idle.daemon = True
            _idle.start()


def _retire(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is not pool or _busy:
            return
        _pool = None
    pool.shutdown(wait=False, cancel_futures=True)
    log.debug("dashboard worker retired after %.0f s idle", IDLE_S)


def _replace(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def refresh(
    ctx: AppContext, b: BranchInfo, now: datetime, inp: snapshots.Inputs, everywhere: bool
) -> tuple[int, float]:
    """`snapshots.refresh` of branch `b`, in the worker process; (parts written, seconds)."""
    url = ctx.db.url
    if not in_process() or not _shareable(url):
        return ctx.call(snapshots.refresh, b, now, inp, everywhere)
    for attempt in (1, 2):
        pool = _get_pool()
        try:
            return pool.submit(_refresh, url, b, now, inp, everywhere).result()
        except BrokenProcessPool:
            log.warning("dashboard worker died; starting a new one (attempt %d)", attempt)
            _replace(pool)
        finally:
            _release(pool)
    raise RuntimeError("the dashboard worker died twice while computing " + b.code)


def worker_pid() -> int | None:
    """The worker's pid while it runs (tests, the memory bench)."""
    procs = getattr(_pool, "_processes", None) or {}
    return next(iter(procs), None)


def warm() -> Future[int] | None:
    """Start the worker now (tests); the job starts it by itself otherwise."""
    if not in_process():
        return None
    pool = _get_pool()
    fut = pool.submit(_pid)
    fut.add_done_callback(lambda _f: _release(pool))
    return fut


def shutdown() -> None:
    global _pool, _idle
    with _lock:
        pool, _pool = _pool, None
        if _idle is not None:
            _idle.cancel()
            _idle = None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
