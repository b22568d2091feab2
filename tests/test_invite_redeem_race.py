"""Issue 18 item 7: one invite code redeemed at the same moment by several Telegram accounts
binds exactly once (PostgreSQL, real concurrent transactions)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from coaching import people
from db.models import TelegramBinding
from tests import factories as f


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_redemption_binds_exactly_once(ctx, database, attempt) -> None:  # type: ignore[no-untyped-def]
    if not database.is_postgres:
        pytest.skip("needs concurrent writers: PostgreSQL")
    now = ctx.clock.now()
    with ctx.db.session() as s:
        b = f.branch(s)
        f.employee(s, "C0001", b)
        inv = people.create_invite(s, "C0001", now, 72, None)
        assert isinstance(inv, people.Invite)
    n = 8
    barrier = threading.Barrier(n)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def redeem(uid: int) -> None:
        try:
            barrier.wait(timeout=10)
            with ctx.db.session() as s:
                res, _ = people.redeem_invite(s, inv.code, uid, uid, now)
            with lock:
                results.append(res.value)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=redeem, args=(9000 + i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert sorted(results).count("bound") == 1, results
    assert sorted(results).count("used") == n - 1, results
    with ctx.db.session() as s:
        assert s.execute(select(func.count()).select_from(TelegramBinding)).scalar_one() == 1
