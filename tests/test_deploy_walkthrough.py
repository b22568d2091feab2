"""docs/deploy.md, run as written: its walkthrough blocks, command by command (subprocesses),
against a fresh database (SQLite, and a fresh PostgreSQL schema) and a local Bot API server.
Only the secrets and the bot's username are substituted. Stops before `coachbot run`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from db.models import Branch, Employee, GroupChat, Team
from db.session import Database
from tests.conftest import PG_URL
from tests.servers import serve_in_thread
from tests.telegram_double import BOT, TelegramDouble

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "docs" / "deploy.md"
MARK = "<!-- walkthrough -->"


def walkthrough_commands(doc: str) -> list[str]:
    """The lines of every fenced block that follows a walkthrough marker, in order."""
    lines: list[str] = []
    for part in doc.split(MARK)[1:]:
        m = re.match(r"\s*```\w*\n(.*?)```", part, re.S)
        assert m, "a walkthrough marker must be followed by a fenced block"
        lines += [ln.strip() for ln in m.group(1).splitlines() if ln.strip()]
    return [ln for ln in lines if not ln.startswith("#")]


@pytest.fixture
def telegram() -> Iterator[tuple[TelegramDouble, str]]:
    double = TelegramDouble()
    with serve_in_thread(double.app) as base:
        yield double, base


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'deploy.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL run skipped: COACHBOT_TEST_DATABASE_URL is not set")
    # An empty schema of its own: "fresh" without touching the shared test tables.
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS walkthrough CASCADE"))
        conn.execute(text("CREATE SCHEMA walkthrough"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3Dwalkthrough"
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS walkthrough CASCADE"))
    engine.dispose()


def test_the_deploy_walkthrough_runs_as_written(telegram, fresh_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    double, base = telegram
    commands = walkthrough_commands(DEPLOY.read_text(encoding="utf-8"))
    assert commands[-1] == "coachbot doctor"
    work = tmp_path / "deploy"
    work.mkdir()
    shutil.copytree(ROOT / "docs", work / "docs")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACHBOT_", "OPENAI_"))}
    env.pop("DATABASE_URL", None)
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TELEGRAM_API_BASE_URL"] = f"{base}/bot"
    env["COACHBOT_OUTPUT_DIR"] = str(work / "out")
    secrets = {
        "TELEGRAM_BOT_TOKEN": "123456:WALKTHROUGH-TOKEN",
        "COACHBOT_BOT_USERNAME": BOT["username"],
        "DATABASE_URL": fresh_url,
        "COACHBOT_PII_KEY": "walkthrough-pii-key-0123456789abcdef",
    }
    ran = []
    for line in commands:
        m = re.fullmatch(r"export (\w+)=(.*)", line)
        if m:
            assert m.group(1) in secrets, f"unexpected setting in the walkthrough: {line}"
            env[m.group(1)] = secrets[m.group(1)]
            continue
        assert line.startswith(("coachbot ", "cp ")), f"unexpected command: {line}"
        proc = subprocess.run(
            ["bash", "-c", line],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert proc.returncode == 0, f"`{line}` failed:\n{proc.stdout}\n{proc.stderr}"
        ran.append((line, proc.stdout))
    assert set(secrets) <= set(env)

    # The organisation the walkthrough promises, read straight from the database.
    db = Database(fresh_url)
    with db.session() as s:
        rows = {b.code: b for b in s.execute(select(Branch)).scalars()}
        branches = {code: b.timezone for code, b in rows.items()}
        assert branches == {"SH": "Asia/Shanghai", "JKT": "Asia/Jakarta"}
        # The example's own plan time and call window, stored on the branch.
        assert rows["JKT"].plan_config == {"send_at": "08:30"} and rows["SH"].plan_config is None
        assert f"{rows['SH'].call_window_end:%H:%M}" == "21:00"
        teams = {t.code: t.lead.employee_no for t in s.execute(select(Team)).scalars() if t.lead}
        assert teams == {
            "SH-1": "L0001",
            "SH-2": "L0002",
            "SH-3": "L0003",
            "JKT-1": "L0004",
            "JKT-2": "L0005",
            "JKT-3": "L0006",
        }
        assert len(list(s.execute(select(Employee)).scalars())) == 17
        chats = sorted((g.chat_id, g.purpose) for g in s.execute(select(GroupChat)).scalars())
        assert chats == [
            (-1001000000011, "trainers"),
            (-1001000000002, "hr_alerts"),
            (-1001000000001, "hr_alerts"),
        ]
    db.dispose()
    sheets = sorted(p.suffix for p in (work / "invites").iterdir())
    assert sheets == [".csv", ".csv", ".pdf", ".pdf"]
    [shown] = [o for line, o in ran if line == "coachbot org show"]
    assert "calls 08:00-21:00, max 6/debtor/day (every attempt); plan at 08:40" in shown
    assert "calls 08:00-22:00, max 3/debtor/day (connected calls); plan at 08:30" in shown
    doctor = ran[-1][1]
    assert "ready: 0 failed" in doctor and "@CoachBotTest" in doctor
    # doctor really asked Telegram about each group
    assert {int(p["chat_id"]) for p in double.sent("getChat")} == {c for c, _ in chats}
