"""The dashboard worker process (bot/dashboard/worker.py): the precompute job's refresh runs
there and stores the parts, an error in it reaches the job without breaking the worker, a dead
worker is replaced, an idle one retires, and the thread fallback."""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

import pytest
from sqlalchemy import func, select

from bot.dashboard import worker
from bot.jobs import dashboard as job
from coaching.calendar import all_branches
from db.models import DashboardSnapshot
from tests import dashboard_seed as ds
from tests.process.harness import helper_dies_with_bot
from tests.servers import wait_for


@pytest.fixture
def org(ctx: Any, tmp_path: Path) -> Iterator[ds.Org]:
    yield ds.seed(ctx, tmp_path)
    worker.shutdown()


def _branch(ctx: Any, code: str) -> Any:
    return next(b for b in ctx.call(all_branches) if b.code == code)


def _parts(ctx: Any, branch_id: int) -> int:
    q = select(func.count()).where(DashboardSnapshot.branch_id == branch_id)
    return ctx.call(lambda s: s.execute(q).scalar_one())


def test_the_refresh_runs_in_the_worker_and_stores_the_parts(ctx: Any, org: ds.Org) -> None:
    b = _branch(ctx, "SH")
    out = job.precompute(ctx, b, ctx.clock.now())
    assert "parts in" in out and "no data yet" in out
    pid = worker.worker_pid()
    assert pid is not None and pid != os.getpid()
    assert _parts(ctx, b.id) >= 4  # teams, people, branches, training, risk, meta
    assert job.precompute(ctx, b, ctx.clock.now()) == "current"


def test_an_error_reaches_the_job_and_the_worker_carries_on(ctx: Any, org: ds.Org) -> None:
    sh = _branch(ctx, "SH")
    broken = dataclasses.replace(sh, timezone="Nowhere/Zone")  # fails inside the refresh
    with pytest.raises(ZoneInfoNotFoundError):
        job.precompute(ctx, broken, ctx.clock.now())
    pid = worker.worker_pid()
    assert pid is not None
    assert _parts(ctx, sh.id) == 0  # nothing half-written
    assert "parts in" in job.precompute(ctx, sh, ctx.clock.now())
    assert worker.worker_pid() == pid  # the same worker: an error does not break it


def test_a_dead_worker_is_replaced(ctx: Any, org: ds.Org) -> None:
    fut = worker.warm()
    assert fut is not None
    pid = fut.result(timeout=120)
    os.kill(pid, signal.SIGKILL)
    b = _branch(ctx, "JKT")
    assert "parts in" in job.precompute(ctx, b, ctx.clock.now())
    assert worker.worker_pid() not in (None, pid)


def test_an_idle_worker_retires(ctx: Any, org: ds.Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "IDLE_S", 0.2)
    fut = worker.warm()
    assert fut is not None
    fut.result(timeout=120)
    wait_for(lambda: worker.worker_pid() is None, 30, "the idle worker retired")
    assert "parts in" in job.precompute(ctx, _branch(ctx, "SH"), ctx.clock.now())


def test_thread_mode_computes_in_process(
    ctx: Any, org: ds.Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACHBOT_DASHBOARD_PROCESS", "0")
    b = _branch(ctx, "SH")
    assert "parts in" in job.precompute(ctx, b, ctx.clock.now())
    assert worker.worker_pid() is None
    assert _parts(ctx, b.id) >= 4


def test_the_worker_exits_when_the_bot_is_killed() -> None:
    helper_dies_with_bot(
        "from bot.dashboard import worker\nprint(worker.warm().result(timeout=120), flush=True)"
    )
