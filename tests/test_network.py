"""`coachbot run` as a real process against a Bot API server over real HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from db.session import Database
from tests import factories as f
from tests.servers import free_port, serve_in_thread, wait_for
from tests.telegram_double import TelegramDouble

pytestmark = pytest.mark.slow

USER = 4242


def coachbot() -> list[str]:
    exe = Path(sys.executable).parent / "coachbot"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli"]


@pytest.fixture
def bound_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'net.db'}"
    db = Database(url)
    from db.migrate import upgrade

    upgrade(url)
    with db.session() as s:
        b = f.branch(s)
        e = f.employee(s, "C0001", b, "collector", name="赵六")
        f.bind(s, e, USER, datetime.now(UTC))
    db.dispose()
    return url


@pytest.fixture
def telegram() -> Iterator[tuple[TelegramDouble, str]]:
    double = TelegramDouble()
    with serve_in_thread(double.app) as base:
        yield double, base


def start(url: str, base: str, tmp_path: Path, **extra: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACHBOT_", "OPENAI_"))}
    env.update(
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN",
        COACHBOT_PII_KEY="network-test-pii-key-0123456789abcdef",  # a real run needs its own
        TELEGRAM_API_BASE_URL=f"{base}/bot",
        COACHBOT_LISTEN_PORT=str(port),
        COACHBOT_OUTPUT_DIR=str(tmp_path / "out"),
        **extra,
    )
    proc = subprocess.Popen(
        [*coachbot(), "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, port


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, out
    return out


def test_long_polling_answers_over_http_and_stops_on_sigterm(bound_db, telegram, tmp_path):
    double, base = telegram
    proc, _ = start(bound_db, base, tmp_path)
    try:
        double.queue_text(USER, "/help")
        double.queue_text(999, "/help")  # unbound
        wait_for(lambda: len(double.sent()) >= 2 or proc.poll() is not None, 30, "replies")
    finally:
        out = stop(proc)
    replies = {int(p["chat_id"]): p["text"] for p in double.sent()}
    assert "赵六" in replies[USER] and "/help" in replies[USER]
    assert "邀请码" in replies[999]
    assert "123456:TEST-TOKEN" not in out  # the token never reaches the log


def test_webhook_mode_checks_the_secret(bound_db, telegram, tmp_path):
    double, base = telegram
    proc, port = start(
        bound_db,
        base,
        tmp_path,
        COACHBOT_WEBHOOK_URL="https://bot.example.com",
        COACHBOT_WEBHOOK_SECRET="s3cret-token",
    )
    try:
        wait_for(lambda: double.sent("setWebhook") or proc.poll() is not None, 30, "setWebhook")
        [hook] = double.sent("setWebhook")
        assert hook["url"] == "https://bot.example.com/telegram/webhook"
        assert hook["secret_token"] == "s3cret-token"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/help",
                "chat": {"id": USER, "type": "private"},
                "from": {"id": USER, "is_bot": False, "first_name": "u"},
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        url = f"http://127.0.0.1:{port}/telegram/webhook"
        wait_for(lambda: _up(port), 20, "web server")
        bad = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
        assert bad.status_code == 403
        none = httpx.post(url, json=update)
        assert none.status_code == 403
        assert not double.sent()
        ok = httpx.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        )
        assert ok.status_code == 200
        wait_for(lambda: double.sent(), 20, "reply")
        assert "赵六" in double.sent()[0]["text"]
    finally:
        stop(proc)


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def test_bad_setting_stops_startup_with_one_line(tmp_path):
    env = dict(os.environ, COACHBOT_DEFAULT_TIMEZONE="Mars/Olympus", DATABASE_URL="sqlite://")
    res = subprocess.run(
        [*coachbot(), "jobs", "list"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    lines = [x for x in res.stderr.strip().splitlines() if x.strip()]
    assert len(lines) == 1 and "COACHBOT_DEFAULT_TIMEZONE" in lines[0], res.stderr
