"""The dashboard as the deployed bot serves it, `coachbot run` as a subprocess: with a public
URL the menu button opens the Mini App and its pages answer genuine initData only; in console
mode (no token) the run prints local demo links that log in as a named person."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from bot.dashboard.auth import make_init_data
from tests.process.conftest import USER
from tests.process.harness import STARTUP_S, base_env, coachbot, start_bot
from tests.servers import free_port, wait_for
from tests.telegram_double import TelegramDouble

pytestmark = pytest.mark.slow


TOKEN = "123456:TEST-TOKEN"  # what tests.process.harness.start_bot gives the bot


def test_menu_button_opens_the_mini_app_and_pages_need_real_init_data(
    bound_db: str, telegram: tuple[TelegramDouble, str], tmp_path: Path
) -> None:
    double, base = telegram
    bot = start_bot(bound_db, base, tmp_path, COACHBOT_PUBLIC_URL="https://coach.example.com")
    try:
        wait_for(lambda: bool(double.sent("setChatMenuButton")), STARTUP_S, "menu button set")
        [menu] = double.sent("setChatMenuButton")
        button = menu["menu_button"]
        assert button["type"] == "web_app"
        assert button["web_app"]["url"] == "https://coach.example.com/app/"
        assert button["text"] == "看板"
        app = f"http://127.0.0.1:{bot.port}/app"
        init = make_init_data(TOKEN, USER, datetime.now(UTC))
        r = httpx.get(f"{app}/api/person", headers={"X-Telegram-Init-Data": init}, timeout=20)
        assert r.status_code == 200 and r.json()["employee_no"] == "C0001"
        other = make_init_data("123456:SOME-OTHER-BOT", USER, datetime.now(UTC))
        r = httpx.get(f"{app}/api/person", headers={"X-Telegram-Init-Data": other}, timeout=20)
        assert r.status_code == 401
        assert httpx.get(f"{app}/demo/x", timeout=20).status_code == 404  # no demo with a token
    finally:
        assert bot.stop()[0] == 0
    assert "Traceback" not in bot.output()


def test_console_run_prints_a_demo_login(bound_db: str, tmp_path: Path) -> None:
    port = free_port()
    env = base_env(bound_db, tmp_path) | {"COACHBOT_LISTEN_PORT": str(port)}
    err = tmp_path / "console-stderr.log"
    with err.open("w") as fh:
        proc = subprocess.Popen(
            [*coachbot(), "run"],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=fh,
            text=True,
        )
    try:
        wait_for(lambda: "/app/demo/" in err.read_text(), STARTUP_S, "the demo links printed")
        seen = err.read_text()
        line = next(ln for ln in seen.splitlines() if "C0001" in ln and "/app/demo/" in ln)
        link = line.split()[-1]
        assert link.startswith(f"http://127.0.0.1:{port}/app/demo/")
        r = httpx.get(link, follow_redirects=False, timeout=20)
        assert r.status_code == 303
        init = unquote(r.headers["location"].split("tgWebAppData=", 1)[1])
        page = httpx.get(
            f"http://127.0.0.1:{port}/app/p/person",
            headers={"X-Telegram-Init-Data": init},
            timeout=20,
        )
        assert page.status_code == 200 and "赵六" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/app/demo/guess", timeout=20).status_code == 404
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # end of input: the console quits
        proc.wait(timeout=30)
    assert proc.returncode == 0
