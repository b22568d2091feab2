"""Imports run on their own small thread pool, never on the pool chat replies use.

`ctx.run` (every chat handler's database work) uses asyncio's default executor; an import
holds a thread for seconds to minutes, so imports queued there starved chat replies (17.8 s
for a reply while 8 imports ran). This pool is bounded (COACHBOT_IMPORT_WORKERS): extra
imports wait their turn here instead of taking threads and the GIL from chat work.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_pools: dict[int, ThreadPoolExecutor] = {}


def import_pool(workers: int) -> ThreadPoolExecutor:
    with _lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="coachbot-import")
            _pools[workers] = pool
        return pool


async def run_import_job(workers: int, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` on the import pool, awaited from the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(import_pool(workers), fn, *args)
