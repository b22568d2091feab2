"""`coachbot run` as a subprocess keeps the dashboard's page data precomputed on its own: the
scheduler runs `dashboard_precompute` for every branch of the demo firm (claimed in
`job_runs`), checks again each minute without recomputing what has not changed, and the
dashboard then serves the stored parts (saying when they were computed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.dashboard.auth import make_init_data
from db.models import Branch, DashboardSnapshot, Employee, JobRun
from db.session import Database
from tests.process.conftest import MONDAY
from tests.process.harness import BIND_BASE, STARTUP_S, copy_sqlite, start_bot
from tests.servers import wait_for
from tests.telegram_double import TelegramDouble

pytestmark = pytest.mark.slow

TOKEN = "123456:TEST-TOKEN"  # what tests.process.harness.start_bot gives the bot


def _runs(url: str) -> list[tuple[str, int, str]]:
    db = Database(url)
    with db.session() as s:
        rows = s.execute(
            select(JobRun.run_key, JobRun.branch_id, JobRun.result)
            .where(JobRun.job == "dashboard_precompute", JobRun.finished_at.is_not(None))
            .order_by(JobRun.id)
        ).all()
    db.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_run_precomputes_every_branch_and_the_dashboard_serves_it(
    demo_file: Path, telegram: tuple[TelegramDouble, str], tmp_path: Path
) -> None:
    url = copy_sqlite(demo_file, tmp_path / "firm.db")
    db = Database(url)
    with db.session() as s:
        branches = set(s.execute(select(Branch.id)).scalars())
        lead = s.execute(select(Employee).where(Employee.employee_no == "L0001")).scalar_one()
        lead_uid, lead_branch = BIND_BASE + lead.id, lead.branch_id
    db.dispose()
    assert len(branches) >= 2
    _, base = telegram
    bot = start_bot(url, base, tmp_path, clock_at=MONDAY.replace(hour=10, minute=0, second=40))
    try:

        def checked_twice() -> bool:
            if bot.proc.poll() is not None:
                raise AssertionError("coachbot run exited:\n" + bot.output())
            runs = _runs(url)
            done = {b for _, b, r in runs if "parts in" in r}
            again = {b for _, b, r in runs if r == "current"}
            return done == branches and lead_branch in again

        # The first check computes each branch; a later minute's check finds nothing new.
        wait_for(checked_twice, STARTUP_S + 150, "dashboard data computed, then checked again")
        runs = _runs(url)
        assert len({k for k, _, _ in runs}) == len(runs)  # each (branch, minute) claimed once
        db = Database(url)
        with db.session() as s:
            meta = s.execute(
                select(DashboardSnapshot).where(
                    DashboardSnapshot.part == "meta", DashboardSnapshot.branch_id == lead_branch
                )
            ).scalar_one()
            computed = meta.computed_at
            parts = set(s.execute(select(DashboardSnapshot.part)).scalars())
        db.dispose()
        assert {"branches", "training", "risk", "training:*", "risk:*"} <= parts
        assert any(p.startswith("team:") for p in parts)
        init = make_init_data(TOKEN, lead_uid, datetime.now(UTC))
        r = httpx.get(
            f"http://127.0.0.1:{bot.port}/app/api/team",
            headers={"X-Telegram-Init-Data": init},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        updated = r.json()["updated"]
        assert updated["live"] is False and updated["stale"] is False
        assert datetime.fromisoformat(updated["at"]) == computed.replace(microsecond=0)
    finally:
        assert bot.stop()[0] == 0
    out = bot.output()
    assert "Traceback" not in out
    assert "dashboard data for" in out  # a recomputation is logged at INFO, a check is not
