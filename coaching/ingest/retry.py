"""Bounded retries for imports that lose a race: deadlocks and serialization failures.

Concurrent overlapping imports lock the same rows; PostgreSQL breaks a lock cycle by failing
one transaction (SQLSTATE 40P01) and SERIALIZABLE work may fail with 40001. Both are safe to
run again from the start (the import is one transaction), so we do, a bounded number of
times with jittered backoff. SQLite's "database is locked" is treated the same way.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
ATTEMPTS = 6


def is_retryable(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in RETRY_SQLSTATES:
        return True
    return "database is locked" in str(orig).lower()


def with_retries(fn: Callable[[], T], attempts: int = ATTEMPTS, what: str = "import") -> T:
    """`fn()` again after a deadlock / serialization failure, at most `attempts` times."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            delay = min(2.0, 0.05 * 2**attempt) * (0.5 + random.random())
            log.warning(
                "%s lost a race (%s), attempt %d of %d; retrying in %.2fs",
                what,
                type(exc.orig).__name__,
                attempt,
                attempts,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable")
