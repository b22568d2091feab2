"""`coachbot run` start-up and webhook faults, as a subprocess over real HTTP: Telegram down
or the token rejected at start (the web server stays up and says so), webhook replays and
oversized bodies, command menus."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.process.conftest import USER
from tests.process.harness import STARTUP_S, start_bot
from tests.servers import wait_for

pytestmark = pytest.mark.slow


SECRET = "s3cret-token"


def test_telegram_down_at_start_keeps_web_up_then_recovers(bound_db, telegram, tmp_path):
    double, base = telegram
    double.down_for = 3  # getMe answers 502 three times
    bot = start_bot(bound_db, base, tmp_path)
    try:
        wait_for(lambda: bot.health()[0] != 0, STARTUP_S, "web server up")
        code, report = bot.health()
        if code == 503:  # still connecting: the report says which part is missing
            assert report["telegram"]["ok"] is False and report["database"]["ok"] is True
        wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "connected after retries")
        code, report = bot.health()
        assert report["scheduler"]["leader"] == "this process"
        assert report["scheduler"]["next_run"]["job"]
        assert report["outbox"]["backlog"] == 0 and report["llm"]["mode"] == "offline"
        double.queue_text(USER, "/help")
        double.queue_text(999, "/help")  # a stranger: told how to bind, nothing else
        wait_for(lambda: len(double.sent()) >= 2, 30, "replies once connected")
        replies = {int(p["chat_id"]): p for p in double.sent()}
        assert "赵六" in replies[USER]["text"] and "/help" in replies[USER]["text"]
        assert replies[USER]["parse_mode"] == "HTML"  # a handler's reply renders too
        assert "邀请码" in replies[999]["text"]
    finally:
        assert bot.stop()[0] == 0
    out = bot.output()
    assert "Telegram is not reachable" in out and "Traceback" not in out
    # Command menus were set per language and scope (private chats and groups).
    menus = double.sent("setMyCommands")
    assert {m.get("language_code") for m in menus} >= {None, "zh", "en"}
    scopes = {m["scope"]["type"] for m in menus}
    assert {"all_private_chats", "all_group_chats"} <= scopes


def test_rejected_token_is_one_clear_line_and_health_says_so(bound_db, telegram, tmp_path):
    double, base = telegram
    double.reject_token = True
    bot = start_bot(bound_db, base, tmp_path)
    try:
        wait_for(lambda: bot.health()[0] == 503, STARTUP_S, "web server up, unhealthy")
        wait_for(lambda: "rejected the bot token" in bot.output(), 20, "the log line")
        _, report = bot.health()
        assert report["telegram"] == {"ok": False, "state": "token rejected"}
        assert report["database"]["ok"] is True
    finally:
        assert bot.stop()[0] == 0
    out = bot.output()
    assert "Traceback" not in out and "123456:TEST-TOKEN" not in out


def headers_key() -> str:
    return "X-Telegram-Bot-Api-Secret-Token"


def _update(update_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "text": text,
            "chat": {"id": USER, "type": "private"},
            "from": {"id": USER, "is_bot": False, "first_name": "u"},
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


def test_webhook_replay_is_skipped_and_big_bodies_refused(bound_db, telegram, tmp_path):
    double, base = telegram
    bot = start_bot(
        bound_db,
        base,
        tmp_path,
        COACHBOT_WEBHOOK_URL="https://bot.example.com",
        COACHBOT_WEBHOOK_SECRET=SECRET,
    )
    url = f"http://127.0.0.1:{bot.port}/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    try:
        wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "healthy")
        [hook] = double.sent("setWebhook")
        assert hook["url"] == "https://bot.example.com/telegram/webhook"
        assert hook["secret_token"] == SECRET
        wrong = httpx.post(url, json=_update(6, "/help"), headers={headers_key(): "nope"})
        missing = httpx.post(url, json=_update(6, "/help"))
        assert wrong.status_code == 403 and missing.status_code == 403
        assert not double.sent()
        first = httpx.post(url, json=_update(7, "/help"), headers=headers)
        again = httpx.post(url, json=_update(7, "/help"), headers=headers)  # Telegram retries
        assert first.status_code == 200 and again.status_code == 200
        wait_for(lambda: double.sent(), 20, "reply")
        big = httpx.post(
            url,
            content=b'{"update_id": 8, "x": "' + b"a" * 1_100_000 + b'"}',
            headers=headers | {"content-type": "application/json"},
        )
        assert big.status_code == 413
        garbage = httpx.post(url, content=b"\xff\x00not json", headers=headers)
        assert garbage.status_code == 400
        httpx.post(url, json=_update(9, "/whoami"), headers=headers)
        wait_for(lambda: len(double.sent()) >= 2, 20, "second reply")
    finally:
        assert bot.stop()[0] == 0
    assert len(double.sent()) == 2  # the replayed update was answered once


def test_jobs_run_beside_a_running_bot_leaves_sending_to_it(bound_db, telegram, tmp_path):
    """`coachbot jobs run` while the bot runs: the job's messages are queued and the running
    bot (the one sender, which keeps Telegram's limits) delivers them within seconds."""
    import subprocess

    from tests.process.harness import base_env, coachbot
    from tests.process.test_run_jobs import open_rows, rows

    double, base = telegram
    # Monday 11:00 in Shanghai: a working day, past the 08:40 plan's catch-up window.
    monday = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    bot = start_bot(bound_db, base, tmp_path, clock_at=monday)
    try:
        wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "healthy")
        env = base_env(bound_db, tmp_path) | {
            "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
            "TELEGRAM_API_BASE_URL": f"{base}/bot",
            "COACHBOT_CLOCK_AT": monday.isoformat(),
        }
        res = subprocess.run(
            [*coachbot(), "jobs", "run", "morning_plan"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 0, res.stderr
        assert "the running bot delivers it" in res.stdout
        assert rows(bound_db)  # something was queued for the collector
        wait_for(lambda: open_rows(bound_db) == 0, 30, "delivered by the running bot")
    finally:
        assert bot.stop()[0] == 0
    assert [int(c["chat_id"]) for c in double.sent()] == [USER]


def test_bad_setting_stops_startup_with_one_line(tmp_path):
    import os
    import subprocess

    from tests.process.harness import coachbot

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


def test_healthz_answers_with_hundreds_of_idle_connections_open(bound_db, telegram, tmp_path):
    """The running process applies the server limits (bot/web_limits.py): idle connections
    past the cap are closed, so /healthz still answers."""
    import socket
    import time

    _, base = telegram
    bot = start_bot(bound_db, base, tmp_path, COACHBOT_HTTP_MAX_CONNECTIONS="100")
    idle: list[socket.socket] = []
    try:
        wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "healthy")
        for _ in range(300):
            s = socket.create_connection(("127.0.0.1", bot.port), timeout=5)
            idle.append(s)
        t0 = time.monotonic()
        code, report = bot.health()
        assert code == 200 and report["database"]["ok"]
        assert time.monotonic() - t0 < 5
    finally:
        for s in idle:
            s.close()
        assert bot.stop()[0] == 0
