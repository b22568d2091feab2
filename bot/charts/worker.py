"""Charts are drawn in one separate process, never in the bot's.

Drawing in the bot process cost every chat user: the first chart imported matplotlib and
registered the CJK font on the event loop (about a second with nobody else answered), every
later one held the GIL for a few hundred ms of Agg rendering, and matplotlib stayed resident
(about 41 MB) in a process whose memory is bounded. So a chart is described by a picklable
`Chart` (the drawing function's dotted name and its data) and drawn by a single worker process
(spawned, not forked: the bot has threads), which `warm()` starts and loads matplotlib in at
start-up, off the loop. A worker that dies is replaced and the chart is drawn again, once. A
chart not drawn within `COACHBOT_CHART_TIMEOUT_S` (default 30 s) fails with `ChartTimeout` and
its worker is killed and replaced: one hung drawing must not hold every later chart behind it.

`COACHBOT_CHART_PROCESS=0` draws in the calling thread instead (the CLI does so anyway; a
thread cannot be stopped, so there is no time limit there).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import procs

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
DEFAULT_TIMEOUT_S = 30.0


class ChartTimeout(RuntimeError):
    """The chart was not drawn in time; its worker was killed (the next chart gets a new one)."""


@dataclass(frozen=True)
class Chart:
    """`func(*args, path, **kwargs)`, where `func` is "module:name" under bot.charts."""

    func: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def draw(self, path: Path) -> Any:
        module, _, name = self.func.partition(":")
        if not module.startswith("bot.charts."):
            raise ValueError(f"not a chart function: {self.func}")
        fn = getattr(importlib.import_module(module), name)
        return fn(*self.args, path, **self.kwargs)


def _load_matplotlib() -> int:
    """In the worker: matplotlib, the Agg backend and the CJK font, before the first chart."""
    importlib.import_module("bot.charts.kit")
    return os.getpid()


def _draw(chart: Chart, path: Path) -> Any:
    return chart.draw(path)


def in_process() -> bool:
    return os.environ.get("COACHBOT_CHART_PROCESS", "1").strip().lower() in ("1", "true", "yes")


def timeout_s() -> float:
    """Seconds a chart may take, queueing behind the warm-up included."""
    raw = os.environ.get("COACHBOT_CHART_TIMEOUT_S", "")
    try:
        return max(0.01, float(raw)) if raw.strip() else DEFAULT_TIMEOUT_S
    except ValueError:
        return DEFAULT_TIMEOUT_S


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = procs.one_process()
        return _pool


def _replace(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def _kill(hung: ProcessPoolExecutor) -> None:
    """Kill a worker stuck in a drawing and drop its pool (queued charts move to a new one)."""
    for proc in list((getattr(hung, "_processes", None) or {}).values()):
        proc.kill()
    _replace(hung)


def warm() -> Future[int] | None:
    """Start the chart process and load matplotlib there (returns at once)."""
    if not in_process():
        return None
    return _get_pool().submit(_load_matplotlib)


def worker_pid() -> int | None:
    """The chart process's pid once warm (for the memory bench and `/healthz` figures)."""
    pool = _pool
    procs = getattr(pool, "_processes", None) or {}
    return next(iter(procs), None)


def draw_sync(chart: Chart, path: Path) -> Any:
    """Draw `chart` into `path` from a worker thread (jobs) or the CLI."""
    if not in_process():
        return chart.draw(path)
    for attempt in (1, 2):
        pool = _get_pool()
        try:
            return pool.submit(_draw, chart, path).result(timeout=timeout_s())
        except TimeoutError:
            log.warning("chart not drawn in %.0f s; its process is replaced", timeout_s())
            _kill(pool)
            raise ChartTimeout("the chart took too long") from None
        except BrokenProcessPool:
            log.warning("chart process died; starting a new one (attempt %d)", attempt)
            _replace(pool)
    raise RuntimeError("the chart process died twice while drawing")


async def draw(chart: Chart, path: Path) -> Any:
    """Draw `chart` into `path` without blocking the event loop or holding the bot's GIL."""
    if not in_process():
        return await asyncio.to_thread(chart.draw, path)
    for attempt in (1, 2):
        pool = _get_pool()
        try:
            fut = asyncio.wrap_future(pool.submit(_draw, chart, path))
            return await asyncio.wait_for(fut, timeout_s())
        except TimeoutError:
            log.warning("chart not drawn in %.0f s; its process is replaced", timeout_s())
            _kill(pool)
            raise ChartTimeout("the chart took too long") from None
        except BrokenProcessPool:
            log.warning("chart process died; starting a new one (attempt %d)", attempt)
            _replace(pool)
    raise RuntimeError("the chart process died twice while drawing")


def shutdown() -> None:
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
