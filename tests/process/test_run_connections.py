"""`coachbot run` with 1,100 idle connections (issue 18): started with the common 1,024
descriptor limit it raises its soft limit to the hard one, and where it cannot, its connection
cap closes the oldest idle connections instead of running out of descriptors. /healthz
answers in under 5 s either way."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.process.connflood import close_all, closed_by_server, fds, health_times, open_idle
from tests.process.faults import double_server, small_firm
from tests.process.harness import STARTUP_S, start_bot
from tests.servers import wait_for

pytestmark = pytest.mark.slow

N = 1100
KEEP = {"COACHBOT_HTTP_KEEPALIVE": "120"}  # idle connections stay open unless the cap acts


@pytest.mark.parametrize("hard", [1024, 4096])
def test_1100_idle_connections_with_a_1024_descriptor_limit(tmp_path: Path, hard: int) -> None:
    url = small_firm(f"sqlite:///{tmp_path / 'firm.db'}", staff=3)
    with double_server() as (_, api):
        bot = start_bot(url, api, tmp_path, nofile=(1024, hard), **KEEP)
        socks: list = []
        try:
            wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "healthy")
            socks, failed = open_idle(bot.port, N)
            assert failed == 0
            times = health_times(bot.port, 5)
            assert all(code == 200 for code, _ in times), times
            assert max(s for _, s in times) < 5, times
            time.sleep(0.5)  # evictions are asynchronous
            closed = closed_by_server(socks)
            assert bot.proc.poll() is None
            assert fds(bot.proc.pid) < hard
            if hard == 1024:  # cannot raise: the cap (1024 - 128) closed the oldest idle ones
                assert closed >= N - (1024 - 128), closed
            else:  # raised to 4096: room for all of them
                assert closed == 0
                assert "file-descriptor limit raised from 1024 to 4096" in bot.output()
        finally:
            close_all(socks)
            code, _ = bot.stop()
        out = bot.output()
        assert code == 0
        for bad in ("Too many open files", "Traceback", "EMFILE"):
            assert bad not in out, out[-3000:]


def test_slow_bodies_get_408_and_the_process_stays_responsive(tmp_path: Path) -> None:
    """Webhook and ingest calls whose body trickles in (a byte every 0.3 s): 408 and closed
    after COACHBOT_HTTP_BODY_TIMEOUT, while /healthz answers at once."""
    import threading

    from bot.ingest_api import create_token
    from db.session import Database
    from tests.process.faults import QUIET
    from tests.test_server_limits import trickle_body

    url = small_firm(f"sqlite:///{tmp_path / 'firm.db'}", staff=3)
    db = Database(url)
    with db.session() as s:
        _, raw = create_token(s, "feed", "ingest", QUIET)
    db.dispose()
    webhook = {"COACHBOT_WEBHOOK_URL": "https://bot.example.com", "COACHBOT_WEBHOOK_SECRET": "s3c"}
    heads = [
        b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-Telegram-Bot-Api-Secret-Token: s3c\r\nContent-Length: 4000\r\n\r\n",
        b"POST /api/v1/ingest/calls HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
        + f"Authorization: Bearer {raw}\r\n".encode()
        + b"Content-Length: 4000\r\n\r\n",
    ]
    with double_server() as (_, api):
        bot = start_bot(url, api, tmp_path, COACHBOT_HTTP_BODY_TIMEOUT="2", **webhook)
        try:
            wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "healthy")
            results: list[tuple[bytes, float]] = []
            slow = [
                threading.Thread(target=lambda h=h: results.append(trickle_body(bot.port, h, 10)))
                for h in heads * 5
            ]
            for t in slow:
                t.start()
            time.sleep(1)
            times = health_times(bot.port, 3)
            for t in slow:
                t.join()
        finally:
            code, _ = bot.stop()
    assert all(c == 200 and s < 5 for c, s in times), times
    assert len(results) == 10
    for answer, took in results:
        assert answer.startswith(b"HTTP/1.1 408"), answer[:300]
        assert took < 6, took
    assert code == 0 and "Traceback" not in bot.output()
