"""Two `coachbot run` processes on one PostgreSQL share the morning fan-out: both build chunks
of the run and both send their share of the chats, and every collector gets exactly one plan."""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bench._fanout_kit import seed
from db import leases
from db.models import JobChunk, JobRun, Outbox
from db.session import Database
from tests.process.harness import STARTUP_S, pg_fresh, scratch_name, start_bot
from tests.servers import wait_for

pytestmark = pytest.mark.slow

PG_URL = os.environ.get("COACHBOT_TEST_DATABASE_URL")
SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, tzinfo=SH)
N = 400  # collectors: 80 chunks of 5
AT = MONDAY.replace(hour=8, minute=40)  # the morning plan's time


def _fresh_db() -> str:
    assert PG_URL
    url = pg_fresh(PG_URL, scratch_name(PG_URL, "_fanout_run"))
    from db.migrate import upgrade

    upgrade(url)
    return url


def _seed(url: str) -> list[int]:
    """One Shanghai branch of N bound collectors with three cases each; their chat ids."""
    db = Database(url)
    try:
        sh = (("SH", "Asia/Shanghai", "zh_CN"),)
        return seed(db, N, branches_of=sh, cases=3, calls=False, bound_at=MONDAY.replace(hour=7))
    finally:
        db.dispose()


def _query(url: str, fn):  # type: ignore[no-untyped-def]
    db = Database(url)
    try:
        with db.session() as s:
            return fn(s)
    finally:
        db.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL run skipped: COACHBOT_TEST_DATABASE_URL unset")
def test_two_processes_share_building_and_sending_of_one_morning(telegram, tmp_path):
    double, base = telegram
    url = _fresh_db()
    chats = _seed(url)
    # The scheduler lease is held here until both processes are up: the 08:40 run, due from
    # the start, begins only when the test lets go (then one of them takes the lease).
    _query(url, lambda s: leases.acquire(s, "scheduler", "test", AT, timedelta(days=1)))
    env = {"COACHBOT_FANOUT_CHUNK": "5", "COACHBOT_OUTBOX_RATE": "30"}
    a = start_bot(url, base, tmp_path, clock_at=AT, name="a", **env)
    b = start_bot(url, base, tmp_path, clock_at=AT, name="b", COACHBOT_UPDATES="none", **env)
    try:
        wait_for(lambda: a.health()[0] == 200 and b.health()[0] == 200, STARTUP_S, "both up")
        assert not _query(url, lambda s: s.execute(select(JobRun.run_key)).scalars().all())
        assert _query(url, lambda s: leases.release(s, "scheduler", "test"))

        def plan_rows() -> list[Outbox]:
            def q(s):  # type: ignore[no-untyped-def]
                out = list(s.execute(select(Outbox).where(Outbox.kind == "plan_morning")).scalars())
                for r in out:
                    s.expunge(r)
                return out

            return _query(url, q)

        def all_sent() -> bool:
            for bot in (a, b):
                if bot.proc.poll() is not None:
                    raise AssertionError("coachbot run exited:\n" + bot.output())
            rs = plan_rows()
            return len(rs) == N and all(r.status == "sent" for r in rs)

        wait_for(all_sent, 120, "every plan sent")
        assert a.stop()[0] == 0 and b.stop()[0] == 0
    finally:
        for bot in (a, b):
            if bot.proc.poll() is None:
                bot.kill()
    per_chat = Counter(int(c["chat_id"]) for c in double.sent("sendMessage"))
    assert sorted(per_chat) == sorted(chats), "somebody missed their plan"
    assert max(per_chat.values()) == 1, [c for c, n in per_chat.items() if n > 1][:5]
    pids = {str(a.proc.pid), str(b.proc.pid)}
    builders = _query(url, lambda s: Counter(s.execute(select(JobChunk.owner)).scalars().all()))
    senders = Counter(r.claimed_by for r in plan_rows())
    print(f"chunks built per process: {dict(builders)}; plans sent per process: {dict(senders)}")
    assert {o.split(":")[1] for o in builders} == pids, builders  # both built chunks
    assert {o.split(":")[1] for o in senders if o} == pids, senders  # both sent plans
    assert "Traceback" not in a.output() + b.output()
