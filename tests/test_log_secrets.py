"""Issue 18: no secret in any log line, at any level — `coachbot run` with DEBUG logging as a
real process (real HTTP to a Bot API double, the ingest API, invite redemption), its whole
output grepped; plus the filter's shapes on their own."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.ingest_api import create_token
from bot.log_redact import MASK, install, redact, remember
from coaching import people
from db.migrate import upgrade
from db.session import Database
from tests import factories as f
from tests.process.harness import coachbot
from tests.servers import free_port, serve_in_thread, wait_for
from tests.telegram_double import TelegramDouble

pytestmark = pytest.mark.slow

BOT_TOKEN = "7000000002:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"
OPENAI_KEY = "sk-test-4f9c2a7d1e8b3c6a5f0e9d8c"
PII_KEY = "pii-key-7b1f3e9a2c-5d0e8f4a6b2c-9e7d3f1a0b5c"
HR_CHAT = -100777


@pytest.fixture
def telegram() -> Iterator[tuple[TelegramDouble, str]]:
    double = TelegramDouble()
    with serve_in_thread(double.app) as base:
        yield double, base


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, out
    return out


def group_text(double: TelegramDouble, user_id: int, chat_id: int, text: str) -> None:
    with double.lock:
        n = double._next_update
        msg = {
            "message_id": 5000 + n,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": chat_id, "type": "supergroup", "title": "HR"},
            "from": {"id": user_id, "is_bot": False, "first_name": "h"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        }
        double.updates.append({"update_id": n, "message": msg})
        double._next_update += 1


def test_debug_logs_of_a_real_run_hold_no_secret(telegram, tmp_path: Path) -> None:
    double, base = telegram
    url = f"sqlite:///{tmp_path / 'logs.db'}"
    upgrade(url)
    db = Database(url)
    now = datetime.now(UTC)
    with db.session() as s:
        b = f.branch(s)
        f.employee(s, "C0001", b, "collector", name="赵六")
        f.employee(s, "C0002", b, "collector", name="钱七")
        h = f.employee(s, "H0001", b, "hr", name="李四")
        f.bind(s, h, 2001, now)
        f.hr_chat(s, HR_CHAT, b, now)
        invite = people.create_invite(s, "C0001", now, 72, None)
        _, ingest_token = create_token(s, "feed", "ingest", now)
    db.dispose()
    assert isinstance(invite, people.Invite)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACHBOT_", "OPENAI_"))}
    env.update(
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_BASE_URL=f"{base}/bot",
        COACHBOT_LISTEN_PORT=str(port),
        COACHBOT_OUTPUT_DIR=str(tmp_path / "out"),
        COACHBOT_LOG_LEVEL="DEBUG",
        OPENAI_API_KEY=OPENAI_KEY,
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
        COACHBOT_PII_KEY=PII_KEY,
    )
    proc = subprocess.Popen(
        [*coachbot(), "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        double.queue_text(5555, f"/start {invite.code}")  # redeemed: the code is in the update
        group_text(double, 2001, HR_CHAT, "/invite C0002")  # a new code goes out in a reply
        wait_for(lambda: len(double.sent()) >= 2 or proc.poll() is not None, 60, "replies")
        api = f"http://127.0.0.1:{port}/api/v1/ingest/calls"
        wait_for(lambda: _up(port) or proc.poll() is not None, 30, "web server")
        r = httpx.post(api, json=[], headers={"Authorization": f"Bearer {ingest_token}"})
        assert r.status_code in (200, 422), r.text
        r = httpx.post(api, json=[], headers={"Authorization": "Bearer cbt_not-a-real-token-123"})
        assert r.status_code == 401
    finally:
        out = stop(proc)
    sent = " ".join(p["text"] for p in double.sent())
    assert "绑定成功" in sent or "bound" in sent.lower(), sent
    new_code = sent.split("start=")[1].split()[0].strip('"<>')
    assert len(new_code) == 10
    assert "DEBUG" in out and "getUpdates" in out, out[-2000:]  # DEBUG really was on
    for secret in (
        BOT_TOKEN,
        BOT_TOKEN.split(":")[1],
        ingest_token,
        invite.code,
        new_code,
        OPENAI_KEY,
        PII_KEY,
        "cbt_not-a-real-token-123",
    ):
        assert secret not in out, f"{secret[:6]}… found in the log"
    assert MASK in out  # secrets were there to redact: the filter did the work


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_redaction_shapes(caplog: pytest.LogCaptureFixture) -> None:
    install()
    remember("hunter2-database-pw")
    log = logging.getLogger("tests.secrets")
    with caplog.at_level(logging.DEBUG):
        log.debug("GET https://api.telegram.org/bot%s/getMe", BOT_TOKEN)
        log.info("headers %s", {"Authorization": "Bearer cbt_abcdefghijklmnop", "X": 1})
        log.warning("update text='/start ABCD2345EF' and link t.me/x?start=ZXCV5678QW")
        log.error("db postgresql://coach:hunter2-database-pw@db/coach failed")
        try:
            raise RuntimeError(f"boom {OPENAI_KEY}")
        except RuntimeError:
            log.exception("with traceback")
    text = caplog.text + " ".join(r.getMessage() for r in caplog.records)
    for secret in (
        BOT_TOKEN,
        "cbt_abcdefghijklmnop",
        "ABCD2345EF",
        "ZXCV5678QW",
        "hunter2",
        OPENAI_KEY,
    ):
        assert secret not in text, secret
    assert text.count(MASK) >= 6
    # A code of letters only (the alphabet allows it) in a sent message's text.
    assert "CQKTCBFYAJ" not in redact("text='邀请码：<code>CQKTCBFYAJ</code>'")
    # Ordinary words and numbers survive.
    assert redact("employee C0001 called K1 at 2026-03-02 09:15, 95 s") == (
        "employee C0001 called K1 at 2026-03-02 09:15, 95 s"
    )
