"""The console chat and CLI as a user runs them: real processes, piped stdin."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.process.harness import coachbot

pytestmark = pytest.mark.slow


def run(args: list[str], cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COACHBOT_", "OPENAI_", "TELEGRAM_", "DATABASE_URL"))
    }
    full_env.update(DATABASE_URL=f"sqlite:///{cwd / 'c.db'}", **env)
    return subprocess.run(
        coachbot() + args,
        input=stdin,
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("demo")
    res = run(["demo", "--seed", "7"], d)
    assert res.returncode == 0, res.stderr
    assert "collectors: 60" in res.stdout
    return d


def test_console_help_as_collector_in_chinese(demo_dir: Path) -> None:
    res = run(["console", "--as", "C0001"], demo_dir, "/help\n")
    assert res.returncode == 0, res.stderr
    assert "可用命令" in res.stdout and "/help" in res.stdout
    assert "/invite" not in res.stdout


def test_console_unknown_and_unbound_users_are_refused(demo_dir: Path) -> None:
    res = run(["console", "--as", "X9999"], demo_dir, "/help\n")
    assert res.returncode == 2 and "no employee X9999" in res.stderr
    res = run(["console", "--telegram-id", "123"], demo_dir, "/help\n/whoami\n")
    assert res.returncode == 0
    assert res.stdout.count("您还没有绑定员工账号") == 2


def test_console_invite_then_bind_flow(demo_dir: Path) -> None:
    res = run(["console", "--as", "H0001", "--group", "hr_alerts"], demo_dir, "/invite C0005\n")
    assert res.returncode == 0, res.stderr
    code = res.stdout.split("start=")[1].split()[0]
    res = run(["console", "--telegram-id", "555"], demo_dir, f"/start {code}\n/whoami\n")
    assert "绑定成功" in res.stdout and "C0005" in res.stdout
    # HR commands stay refused to a collector, even inside the HR chat.
    res = run(["console", "--as", "C0001", "--group", "hr_alerts"], demo_dir, "/invite C0002\n")
    assert "权限" in res.stdout


def test_console_buttons_with_tap(demo_dir: Path) -> None:
    res = run(["console", "--as", "C0002"], demo_dir, "/lang\n/tap 2\n/help\n/tap 9\n")
    assert "[1] 中文  [2] English" in res.stdout
    assert "Language set to English" in res.stdout and "can use" in res.stdout
    assert "no button 9" in res.stdout


def test_demo_is_deterministic_and_refuses_to_overwrite(tmp_path: Path, demo_dir: Path) -> None:
    again = run(["demo", "--seed", "7"], demo_dir)
    assert again.returncode == 2 and "--reset" in again.stderr
    other = run(["demo", "--seed", "7"], tmp_path)
    first = run(["demo", "--seed", "7", "--reset"], demo_dir)
    # Same seed, same data (the clock moves, so compare the counts line).
    assert first.stdout.split("\n")[0] == other.stdout.split("\n")[0]


def test_jobs_list_and_run(demo_dir: Path) -> None:
    res = run(["jobs", "list"], demo_dir)
    assert res.returncode == 0 and "heartbeat" in res.stdout
    assert "Asia/Shanghai" in res.stdout or "CST" in res.stdout
    res = run(["jobs", "run", "heartbeat", "--branch", "SH"], demo_dir)
    assert res.returncode == 0 and "active bindings" in res.stdout
    res = run(["jobs", "run", "nope"], demo_dir)
    assert res.returncode == 2 and "no job nope" in res.stderr


def test_employee_csv_import_reports_line_and_column(tmp_path: Path, demo_dir: Path) -> None:
    good = tmp_path / "e.csv"
    good.write_text(
        "employee_no,name,branch,team,roles,hire_date\nN9100,新人甲,SH,SH-1,collector,2026-11-01\n",
        encoding="utf-8",
    )
    res = run(["employee", "import", str(good)], demo_dir)
    assert res.returncode == 0 and re.search(r"inserted\s*│\s*1 ", res.stdout), res.stdout
    bad = tmp_path / "b.csv"
    bad.write_text(
        "employee_no,name,branch,team,roles,hire_date\n"
        "N9101,新人乙,SH,SH-1,collector,2026-11-01\n"
        "N9102,新人丙,XX,SH-1,boss,2026/11/01\n",
        encoding="utf-8",
    )
    res = run(["employee", "import", str(bad)], demo_dir)
    # the one importer (same as `coachbot import employees`): 1 = rows rejected
    assert res.returncode == 1
    assert "b.csv:3: column branch = 'XX': unknown branch code" in res.stderr
    assert "nothing stored" in res.stdout
    res = run(["console", "--as", "N9101"], demo_dir, "/help\n")
    assert res.returncode == 2  # nothing from the bad file was stored


def test_console_taps_an_older_keyboard_by_number(demo_dir: Path) -> None:
    res = run(["console", "--as", "C0003"], demo_dir, "/lang\n/lang\n/tap 1.2\n/tap 7.1\n")
    assert "(#1)" in res.stdout and "(#2)" in res.stdout
    assert "Language set to English" in res.stdout
    assert "usage: /tap N" in res.stdout


def test_console_passes_exit_to_the_bot(demo_dir: Path) -> None:
    # /exit is HR's exit-workflow command; only /quit ends the console.
    res = run(
        ["console", "--as", "H0001", "--group", "hr_alerts"],
        demo_dir,
        "/exit\n/exit ZZZ\n/quit\n/help\n",
    )
    assert "/exit 工号" in res.stdout and "ZZZ" in res.stdout
    assert "可用命令" not in res.stdout  # nothing after /quit


def test_demo_collector_plan_in_console_matches_cli_json(demo_dir: Path) -> None:
    """The morning plan a demo collector sees in the console: every block with its real count
    and top case refs, in Chinese, and the same content from `coachbot plan --format json`."""
    import json
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    # The next working day after today (the demo's history ends today), whose plan both the
    # CLI and the console (moved there with --at) build as of its 08:40 send time.
    day = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    for _ in range(10):
        day += timedelta(days=1)
        res = run(
            ["plan", "--employee", "C0001", "--date", day.isoformat(), "--format", "json"],
            demo_dir,
        )
        assert res.returncode == 0, res.stderr
        data = json.loads(res.stdout)
        if data["workday"]:
            break
    assert data["workday"] and data["total"] > 0
    res = run(["console", "--as", "C0001", "--at", f"{day}T08:40+08:00"], demo_dir, "/plan\n")
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert f"今日计划 {day}" in text and f"共 {data['total']} 件" in text
    names = ["承诺跟进", "重点案件", "可联案件", "下午复拨", "分期与小额", "常规轮拨", "晚间时段"]
    assert len(data["blocks"]) == len(names)
    for b, name in zip(data["blocks"], names, strict=True):
        assert f"{b['start']}–{b['end']} {name}（{b['count']}）" in text
        for c in b["cases"][:5]:
            assert c["case_ref"] in text
    assert sum(b["count"] for b in data["blocks"]) == data["total"]
    assert sum(1 for b in data["blocks"] if b["count"]) >= 5  # a realistic queue, not a stub
    bad = run(["console", "--as", "C0001", "--at", f"{day}T08:40"], demo_dir, "/plan\n")
    assert bad.returncode == 2 and "ISO 8601 time with offset" in bad.stderr


def test_console_speaks_in_an_unregistered_group_by_chat_id(demo_dir: Path) -> None:
    # Before: only registered purposes could be simulated, so /register could not be tried.
    res = run(
        ["console", "--as", "A0001", "--group", "-1009990001"], demo_dir, "/register trainers\n"
    )
    assert res.returncode == 0, res.stderr
    assert "in group -1009990001" in res.stdout and "培训主管群" in res.stdout
    listed = run(["group", "list", "--format", "csv"], demo_dir)
    assert "-1009990001,trainers" in listed.stdout
    # A collector in an unregistered group is refused with the reason, not a traceback.
    res = run(["console", "--as", "C0001", "--group", "-1009990002"], demo_dir, "/stats\n")
    assert res.returncode == 0 and "Traceback" not in res.stderr and "🔒" in res.stdout
    bad = run(["console", "--as", "C0001", "--group", "1234"], demo_dir)
    assert bad.returncode != 0 and "negative" in bad.stderr
    unknown = run(["console", "--as", "C0001", "--group", "nosuch"], demo_dir)
    assert unknown.returncode != 0 and "--group -1001234567890" in unknown.stderr


def test_console_serves_healthz_and_the_ingest_api_like_run(demo_dir: Path) -> None:
    # Before: only `coachbot run` with a token served them; the console had no web server.
    import time

    import httpx

    from tests.servers import free_port

    made = run(["token", "create", "--name", "console test", "--kind", "calls"], demo_dir)
    assert made.returncode == 0, made.stderr
    raw = re.search(r"cbt_[A-Za-z0-9_\-]+", made.stdout)
    assert raw is not None
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COACHBOT_", "OPENAI_", "TELEGRAM_", "DATABASE_URL"))
    }
    env.update(DATABASE_URL=f"sqlite:///{demo_dir / 'c.db'}", COACHBOT_LISTEN_PORT=str(port))
    proc = subprocess.Popen(
        [*coachbot(), "console", "--as", "C0001", "--listen"],
        cwd=demo_dir,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline, health = time.monotonic() + 120, None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{base}/healthz", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert health is not None, "the console's web server never answered"
        body = health.json()
        assert body["telegram"] == {"ok": True, "state": "console"}
        assert body["database"]["ok"] and "outbox" in body
        url = f"{base}/api/v1/ingest/calls"
        assert httpx.post(url, json=[], timeout=10).status_code == 401
        auth = {"Authorization": f"Bearer {raw.group(0)}"}
        ok = httpx.post(url, json=[], headers=auth, timeout=10)
        # Authenticated and read by the real importer: an empty body names the columns.
        assert ok.status_code == 422 and "call_ref" in ok.json()["detail"], ok.text
    finally:
        out, err = proc.communicate("/quit\n", timeout=120)
    assert proc.returncode == 0, err
    assert f"web server on http://127.0.0.1:{port}" in out and "Traceback" not in err
