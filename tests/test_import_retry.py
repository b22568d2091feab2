"""Deadlocks and serialization failures are retried a bounded number of times (real
PostgreSQL deadlock between two transactions locking rows in opposite order)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.context import AppContext
from coaching.ingest.retry import is_retryable, with_retries
from tests.ingest_helpers import world


def test_a_real_deadlock_is_retried(ctx: AppContext) -> None:
    if ctx.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL detects the deadlock")
    world(ctx)
    barrier = threading.Barrier(2, timeout=10)
    attempts = {"a": 0, "b": 0}
    errors: list[BaseException] = []

    def tx(name: str, first: str, second: str) -> None:
        def attempt() -> None:
            attempts[name] += 1
            with ctx.db.engine.begin() as conn:
                conn.execute(text("SET LOCAL deadlock_timeout = '100ms'"))
                upd = text("UPDATE employees SET name = name || '' WHERE employee_no = :no")
                conn.execute(upd, {"no": first})
                if attempts[name] == 1:
                    barrier.wait()  # both hold their first row: the second lock closes a cycle
                conn.execute(upd, {"no": second})

        try:
            with_retries(attempt, attempts=4, what=f"tx {name}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [
        threading.Thread(target=tx, args=("a", "C0001", "C0002")),
        threading.Thread(target=tx, args=("b", "C0002", "C0001")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert attempts["a"] + attempts["b"] == 3  # one of them lost the race once, then won


def test_only_races_are_retried() -> None:
    class Orig(Exception):
        def __init__(self, state: str) -> None:
            super().__init__(state)
            self.sqlstate = state

    calls = 0

    def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise OperationalError("UPDATE", {}, Orig("40001"))
        return "done"

    assert with_retries(flaky, attempts=3) == "done" and calls == 3
    assert not is_retryable(DBAPIError("INSERT", {}, Orig("23505")))  # unique violation
    calls = 0

    def always() -> None:
        nonlocal calls
        calls += 1
        raise OperationalError("UPDATE", {}, Orig("40P01"))

    with pytest.raises(OperationalError):
        with_retries(always, attempts=2)
    assert calls == 2
