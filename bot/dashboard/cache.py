"""A short-lived cache of page data (COACHBOT_WEBAPP_CACHE_S, default 60 s; 0 turns it off).

Live scorecards of a big branch take seconds to compute (every collector is scored to rank
one), and a dashboard is opened by many people looking at the same team or branch. Entries are
keyed by exactly what the data depends on (team, branch, employee and visible sections,
parameters): scope checks still run on every request before the cache is consulted, so a
cached entry is only ever served to someone allowed to see it. HR actions clear the risk
entries at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 512


class PageCache:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._data: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        if self.ttl_s <= 0:
            return make()
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]  # type: ignore[no-any-return]
        value = make()  # outside the lock: a slow page never blocks the others
        with self._lock:
            if len(self._data) >= MAX_ENTRIES:
                for k in [k for k, (exp, _) in self._data.items() if exp <= now] or list(
                    self._data
                )[: MAX_ENTRIES // 4]:
                    self._data.pop(k, None)
            self._data[key] = (now + self.ttl_s, value)
        return value

    def drop(self, prefix: str) -> None:
        with self._lock:
            for k in [k for k in self._data if isinstance(k, tuple) and k and k[0] == prefix]:
                self._data.pop(k, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def page_cache(extras: dict[str, Any], ttl_s: float) -> PageCache:
    cache = extras.get("dashboard_cache")
    if not isinstance(cache, PageCache) or cache.ttl_s != ttl_s:
        cache = PageCache(ttl_s)
        extras["dashboard_cache"] = cache
    return cache
