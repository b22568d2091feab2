"""Scorecards and plans in the console on the demo data, as a user runs them (real processes):
day 1 of a month, a team lead without cases, Jakarta's currency, a leave day."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.test_console_cli import run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("demo_scoring")
    res = run(["demo", "--seed", "7"], d)
    assert res.returncode == 0, res.stderr
    return d


def _today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()


def test_day_one_shows_last_months_final_card(demo: Path) -> None:
    today = _today()
    first = (today.replace(day=28) + timedelta(days=4)).replace(day=1)  # next month's 1st
    res = run(["console", "--as", "C0001", "--at", f"{first}T09:00+08:00"], demo, "/score\n")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert f"{today:%Y-%m} 上月最终得分" in out
    assert f"本月（{first:%Y-%m}）数据尚未产生" in out
    assert f"{first:%Y-%m} 本月得分" not in out and "总分" in out
    # The same person today: the month to date, paced.
    live = run(["console", "--as", "C0001"], demo, "/score\n").stdout
    assert f"{today:%Y-%m} 本月得分（实时，本月截至目前）" in live or "上月最终得分" in live


def test_team_lead_without_cases_is_not_ranked(demo: Path) -> None:
    res = run(["console", "--as", "L0001"], demo, "/score\n/team\n")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "组长本月没有在手案件，不参与排名" in out
    assert "L0001" in out and "（组长，无案件不排名）" in out
    assert "💡" not in out.split("/team")[0]  # no verdict on a card without data


def test_jakarta_amounts_in_rupiah(demo: Path) -> None:
    res = run(["console", "--as", "C0031"], demo, "/score\n")
    assert res.returncode == 0, res.stderr
    assert "Rp " in res.stdout and "¥" not in res.stdout
    res = run(["console", "--as", "C0001"], demo, "/score\n")
    assert "¥" in res.stdout and "Rp " not in res.stdout


def test_leave_day_has_no_plan_on_every_path(demo: Path) -> None:
    with sqlite3.connect(demo / "c.db") as db:
        no, start = db.execute(
            "SELECT e.employee_no, l.start_date FROM leaves l JOIN employees e"
            " ON e.id = l.employee_id WHERE l.kind = 'sick' ORDER BY l.id LIMIT 1"
        ).fetchone()
    day = date.fromisoformat(start) + timedelta(days=1)  # the demo's leave lasts 3 days
    res = run(["plan", "--employee", no, "--date", day.isoformat()], demo)
    assert res.returncode == 0, res.stderr
    assert f"{day}: {no} is on leave (sick): no plan." in res.stdout
    assert "09:00" not in res.stdout
    res = run(["console", "--as", no, "--at", f"{day}T08:40+08:00"], demo, "/plan\n")
    assert f"{day} 你在休假，没有计划" in res.stdout and "今日计划" not in res.stdout


def test_score_help_names_the_time_zone(demo: Path) -> None:
    res = run(["score", "--help"], demo)
    assert res.returncode == 0
    text = " ".join(res.stdout.replace("│", " ").split())
    assert "COACHBOT_DEFAULT_TIMEZONE" in text and "branch's own time zone" in text
