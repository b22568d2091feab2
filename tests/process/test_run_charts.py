"""Charts in `coachbot run`: drawn by the chart process, which start-up warms; matplotlib never
loads in the bot process (its memory and GIL stay the chat's), and a chart tap is answered with
a photo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import EmployeeRole
from db.session import Database
from tests.process.conftest import MONDAY
from tests.process.harness import BIND_BASE, STARTUP_S, start_bot
from tests.servers import wait_for

pytestmark = pytest.mark.slow


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def loads_matplotlib(pid: int) -> bool:
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False
    return "/matplotlib/" in maps


def test_chart_tap_is_drawn_in_the_warm_chart_process(demo_file, telegram, tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    shutil.copy(demo_file, tmp_path / "demo.db")
    db = Database(url)
    with db.session() as s:
        collector = s.execute(
            select(EmployeeRole.employee_id).where(EmployeeRole.role == "collector").limit(1)
        ).scalar_one()
    db.dispose()
    user = BIND_BASE + collector
    double, base = telegram
    bot = start_bot(url, base, tmp_path, clock_at=MONDAY.replace(hour=9, minute=30))
    try:
        wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "bot up")
        pid = bot.proc.pid
        # Start-up warms the chart process: matplotlib is loaded there before anyone taps.
        wait_for(
            lambda: any(loads_matplotlib(c) for c in children(pid)), STARTUP_S, "chart process"
        )
        double.queue_callback(user, "score", 1)
        wait_for(
            lambda: any(int(p["chat_id"]) == user for p in double.sent("sendPhoto")),
            60,
            "the trend chart",
        )
        assert not loads_matplotlib(pid), "matplotlib loaded in the bot process"
        # The tap is answered before the chart is drawn: the button's spinner stops at once.
        order = [(m, p) for m, p in double.calls if m in ("answerCallbackQuery", "sendPhoto")]
        assert order[0][0] == "answerCallbackQuery" and order[0][1].get("text") == "正在生成图表…"
        assert [m for m, _ in order].count("answerCallbackQuery") == 1
    finally:
        assert bot.stop()[0] == 0
    out = bot.output()
    assert "Traceback" not in out
    assert list((tmp_path).rglob("trend-*.png")), "the chart file"
