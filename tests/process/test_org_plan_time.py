"""`coachbot run` as a subprocess sends each branch's plan at the time its org file sets:
SH's at 07:15 (not config/plans.yaml's 08:40), and a send time changed with `coachbot org
apply` while the bot runs is picked up without a restart."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from db.models import JobRun
from db.session import Database
from tests.process.harness import (
    STARTUP_S,
    base_env,
    build_demo_db,
    coachbot,
    copy_sqlite,
    pg_fresh,
    scratch_name,
    start_bot,
)
from tests.process.test_run_jobs import assert_each_once, rows
from tests.servers import wait_for

pytestmark = pytest.mark.slow

SH, JKT = ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Jakarta")
MONDAY = datetime(2026, 12, 7, tzinfo=SH)
PG_URL = os.environ.get("COACHBOT_TEST_DATABASE_URL")


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return MONDAY.replace(hour=hh, minute=mm, second=ss)


@pytest.fixture(params=["sqlite", "postgresql"])
def firm_db(request: pytest.FixtureRequest, demo_file: Path, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return copy_sqlite(demo_file, tmp_path / "firm.db")
    if not PG_URL:
        pytest.skip("PostgreSQL run skipped: COACHBOT_TEST_DATABASE_URL is not set")
    url = pg_fresh(PG_URL, scratch_name(PG_URL, "_orgplan"))  # its own scratch database
    build_demo_db(url, tmp_path, at(7, 0))
    return url


def cli(url: str, tmp: Path, *args: str) -> str:
    res = subprocess.run(
        [*coachbot(), *args],
        env=base_env(url, tmp),
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def set_send_at(path: Path, code: str, hhmm: str) -> None:
    """Give branch `code` of an org file its own plan send time (as an operator's edit)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    [branch] = [b for b in doc["branches"] if b["code"] == code]
    branch["plan"] = {"send_at": hhmm}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def started(url: str, key: str) -> datetime | None:
    db = Database(url)
    with db.session() as s:
        row = s.execute(select(JobRun).where(JobRun.run_key == key)).scalar_one_or_none()
        out = row.started_at if row is not None and row.finished_at is not None else None
    db.dispose()
    return out


def test_plan_arrives_at_the_org_files_time_and_a_change_needs_no_restart(
    firm_db, telegram, tmp_path
):
    double, base = telegram
    url = firm_db
    org = tmp_path / "org.yaml"
    cli(url, tmp_path, "org", "export", "-o", str(org))
    set_send_at(org, "SH", "07:15")
    out = cli(url, tmp_path, "org", "apply", str(org))
    assert "~ branch SH" in out, out
    assert "07:15" in cli(url, tmp_path, "org", "show")

    epoch = time.time()
    clock_at = at(7, 14, 40)

    def now() -> datetime:  # the bot's clock
        return clock_at + timedelta(seconds=time.time() - epoch)

    bot = start_bot(url, base, tmp_path, clock_at=clock_at, epoch=epoch)
    code = None
    try:
        wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "healthy")
        # On a loaded machine start-up may end after 07:15: then the catch-up sends at once.
        prompt = max(at(7, 15, 30), now() + timedelta(seconds=30))
        wait_for(lambda: started(url, "morning_plan:SH:2026-12-07") is not None, 60, "SH plans")
        ran = started(url, "morning_plan:SH:2026-12-07")
        assert ran is not None and at(7, 15) <= ran.astimezone(SH) < prompt
        wait_for(lambda: not [r for r in rows(url) if r.status != "sent"], 60, "SH plans sent")
        plans = [r for r in rows(url) if r.kind == "plan_morning"]
        assert len(plans) >= 30
        # Queued at 07:15 (none before: the bot's clock started at 07:14:40).
        assert all(at(7, 15) <= r.created_at.astimezone(SH) < prompt for r in plans)
        assert all(r.sent_at and r.sent_at >= r.created_at for r in plans)
        assert_each_once(url, double)
        assert started(url, "morning_plan:JKT:2026-12-07") is None  # 08:30 Jakarta, not yet

        # While it runs: JKT's plans at the next minute at least 15 s away (Jakarta time), by
        # the org file. An apply that ends past that minute (a loaded machine) moves it on.
        for _ in range(5):
            due = (now().astimezone(JKT) + timedelta(seconds=75)).replace(second=0, microsecond=0)
            set_send_at(org, "JKT", f"{due:%H:%M}")
            out = cli(url, tmp_path, "org", "apply", str(org))
            assert "~ branch JKT" in out and "~ branch SH" not in out, out
            if now() < due - timedelta(seconds=2):
                break
        assert now() < due and started(url, "morning_plan:JKT:2026-12-07") is None
        wait_for(lambda: started(url, "morning_plan:JKT:2026-12-07") is not None, 150, "JKT plans")
        ran = started(url, "morning_plan:JKT:2026-12-07")
        assert ran is not None and due <= ran.astimezone(JKT) < due + timedelta(seconds=30)
        wait_for(lambda: not [r for r in rows(url) if r.status != "sent"], 60, "JKT plans sent")
    finally:  # never leave a bot running when an assertion fails
        if bot.proc.poll() is None:
            code, _ = bot.stop()
    assert code == 0, bot.output()
    jkt = [r for r in rows(url) if r.kind == "plan_morning" and r.id not in {p.id for p in plans}]
    assert len(jkt) >= 30
    assert all(due <= r.created_at.astimezone(JKT) < due + timedelta(minutes=1) for r in jkt)
    assert_each_once(url, double)
    assert "Traceback" not in bot.output()
