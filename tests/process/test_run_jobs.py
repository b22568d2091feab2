"""`coachbot run` as a subprocess does the product's job on its own: the morning plans at
08:40, the HR digest at its hour, the quiz reminders at 10:00 — each once, rendered — across
restarts, SIGTERM mid-fan-out, and (on PostgreSQL) two workers with the leader killed."""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from db.models import JobRun, Outbox
from db.session import Database
from tests.process.harness import (
    STARTUP_S,
    Bot,
    build_demo_db,
    copy_sqlite,
    pg_fresh,
    scratch_name,
    start_bot,
)
from tests.servers import wait_for
from tests.telegram_double import TelegramDouble

pytestmark = pytest.mark.slow

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, tzinfo=SH)  # a working day
PG_URL = os.environ.get("COACHBOT_TEST_DATABASE_URL")


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return MONDAY.replace(hour=hh, minute=mm, second=ss)


@pytest.fixture(params=["sqlite", "postgresql"])
def firm_db(request: pytest.FixtureRequest, demo_file: Path, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return copy_sqlite(demo_file, tmp_path / "firm.db")
    if not PG_URL:
        pytest.skip("PostgreSQL run skipped: COACHBOT_TEST_DATABASE_URL is not set")
    # Named after the test database: agents sharing one PostgreSQL server don't collide.
    url = pg_fresh(PG_URL, scratch_name(PG_URL, "_process"))
    build_demo_db(url, tmp_path, at(7, 30))
    return url


def rows(url: str) -> list[Outbox]:
    db = Database(url)
    with db.session() as s:
        out = list(s.execute(select(Outbox).order_by(Outbox.id)).scalars())
        for r in out:
            s.expunge(r)
    db.dispose()
    return out


def finished(url: str, run_key: str) -> bool:
    db = Database(url)
    with db.session() as s:
        row = s.execute(select(JobRun).where(JobRun.run_key == run_key)).scalar_one_or_none()
        done = row is not None and row.finished_at is not None
    db.dispose()
    return done


def open_rows(url: str) -> int:
    return sum(r.status in ("pending", "sending") for r in rows(url))


def wait_sent(url: str, bot: Bot, kind_prefix: str, timeout: float = 60) -> list[Outbox]:
    """Wait until rows of a kind exist and nothing is left to send."""

    def done() -> bool:
        if bot.proc.poll() is not None:
            raise AssertionError("coachbot run exited:\n" + bot.output())
        rs = rows(url)
        return any(r.kind.startswith(kind_prefix) for r in rs) and not any(
            r.status in ("pending", "sending") for r in rs
        )

    wait_for(done, timeout, f"{kind_prefix} messages delivered")
    return [r for r in rows(url) if r.kind.startswith(kind_prefix)]


def sent_texts(double: TelegramDouble) -> list[dict[str, object]]:
    """sendMessage and sendPhoto calls, each with its text (a photo's caption)."""
    out = [{**c, "key": c["text"]} for c in double.sent("sendMessage")]
    for c in double.sent("sendPhoto"):
        # Two charts may share a caption: the file tells them apart.
        name = getattr(c.get("photo"), "filename", "")
        out.append({**c, "text": c.get("caption") or "", "key": f"{c.get('caption')}|{name}"})
    return out


def row_key(r: Outbox) -> str:
    if r.payload.get("photo"):
        return f"{r.payload.get('text') or None}|{Path(r.payload['photo']).name}"
    return r.payload.get("text") or ""


def assert_each_once(url: str, double: TelegramDouble) -> Counter[tuple[int, str]]:
    """Every queued message reached its chat exactly once, rendered as HTML; nothing else was
    sent. Returns the calls per (chat, text)."""
    calls = sent_texts(double)
    assert calls, "nothing was sent"
    bare = [c for c in calls if c.get("parse_mode") != "HTML"]
    assert not bare, f"sent without parse_mode: {bare[:2]}"
    for c in calls:
        assert "&lt;" not in c["text"] and "&amp;lt;" not in c["text"], c
    seen = Counter((int(c["chat_id"]), c["key"]) for c in calls)
    queued = rows(url)
    assert {r.status for r in queued} == {"sent"}, Counter(r.status for r in queued)
    for r in queued:
        assert seen[(r.chat_id, row_key(r))] == 1, (r.kind, r.chat_id, r.dedupe_key)
    assert sum(seen.values()) == len(queued)
    return seen


def test_morning_hr_digest_and_quiz_reminder_each_once_across_restarts(firm_db, telegram, tmp_path):
    double, base = telegram
    url = firm_db
    # 08:39:52 Monday in Shanghai: the plans are due in 8 seconds.
    bot = start_bot(url, base, tmp_path, clock_at=at(8, 39, 52))
    wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "healthy")
    assert not [r for r in rows(url) if r.kind.startswith("plan")]  # not before 08:40
    plans = wait_sent(url, bot, "plan_morning", 60)
    code, took = bot.stop()
    assert code == 0 and took < 15
    sh_plans = [r for r in plans if r.local_date == MONDAY.date()]
    assert len(sh_plans) >= 30  # every working SH collector with a queue
    assert_each_once(url, double)
    assert all(r.chat_id > 0 for r in plans)  # plans go to people, not groups

    # 09:29:52: restart; the HR weekly alert (09:30) goes to SH's HR chat as one digest, and
    # Jakarta's plans (08:30 there) too. The 08:40 plans are not sent again.
    bot = start_bot(url, base, tmp_path, clock_at=at(9, 29, 52))
    wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "healthy")
    assert not finished(url, "hr_risk_weekly:SH:2026-12-07")  # not before 09:30
    wait_for(lambda: finished(url, "hr_risk_weekly:SH:2026-12-07"), 60, "09:30 HR alert")
    hr = wait_sent(url, bot, "hr_risk", 60)
    wait_for(lambda: open_rows(url) == 0, 30, "all sent")
    assert bot.stop()[0] == 0
    sh_hr = [r for r in hr if r.chat_id == -1001000000001]
    assert sh_hr and len(sh_hr) <= 3, [r.dedupe_key for r in hr]  # digests, not one per person

    # 09:59:52: restart; the training reminders at 10:00.
    before = {r.id for r in rows(url)}
    bot = start_bot(url, base, tmp_path, clock_at=at(9, 59, 52))
    wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "healthy")
    assert not finished(url, "training_reminders:SH:2026-12-07")  # not before 10:00
    wait_for(lambda: finished(url, "training_reminders:SH:2026-12-07"), 60, "10:00 reminders")
    wait_for(lambda: open_rows(url) == 0, 30, "all sent")
    assert bot.stop()[0] == 0
    reminders = [r for r in rows(url) if r.id not in before and r.kind.startswith("training")]
    assert reminders and all(r.chat_id > 0 or r.kind == "training_overdue_list" for r in reminders)
    assert_each_once(url, double)
    out = bot.output()
    assert "Traceback" not in out and "123456:TEST-TOKEN" not in out


WEBHOOK = {"COACHBOT_WEBHOOK_URL": "https://bot.example.com", "COACHBOT_WEBHOOK_SECRET": "s3c"}


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_sigterm_mid_fan_out_loses_nothing_and_sends_nothing_twice(
    demo_file, telegram, tmp_path, mode
):
    double, base = telegram
    url = copy_sqlite(demo_file, tmp_path / "firm.db")
    epoch = time.time()
    # 5 messages a second: the fan-out takes long enough to be interrupted.
    slow = {"COACHBOT_OUTBOX_RATE": "5", **(WEBHOOK if mode == "webhook" else {})}
    bot = start_bot(url, base, tmp_path, clock_at=at(8, 39, 57), epoch=epoch, **slow)
    wait_for(lambda: len(double.sent()) >= 10, 60, "fan-out under way")
    code, took = bot.stop()
    assert code == 0 and took < 10, bot.output()
    left = open_rows(url)
    assert left > 0  # stopped half-way
    assert not any(r.status == "sending" for r in rows(url))  # handed back, not leased
    again = WEBHOOK if mode == "webhook" else {}
    bot = start_bot(url, base, tmp_path, clock_at=at(8, 39, 57), epoch=epoch, **again)
    wait_for(lambda: open_rows(url) == 0, 60, "the rest delivered after restart")
    if mode == "webhook":
        assert double.sent("setWebhook") and not double.sent("getUpdates")
    assert bot.stop()[0] == 0
    assert_each_once(url, double)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL run skipped: COACHBOT_TEST_DATABASE_URL unset")
def test_two_workers_on_postgresql_leader_killed_midway(telegram, tmp_path):
    double, base = telegram
    url = pg_fresh(PG_URL or "", scratch_name(PG_URL or "", "_workers"))
    build_demo_db(url, tmp_path, at(7, 30))
    epoch = time.time()
    slow = {"COACHBOT_OUTBOX_RATE": "5"}
    a = start_bot(url, base, tmp_path, clock_at=at(8, 39, 55), epoch=epoch, name="a", **slow)
    b = start_bot(
        url,
        base,
        tmp_path,
        clock_at=at(8, 39, 55),
        epoch=epoch,
        name="b",
        COACHBOT_UPDATES="none",
        **slow,
    )
    wait_for(lambda: a.health()[0] == 200 and b.health()[0] == 200, STARTUP_S, "both healthy")
    leaders = [w for w in (a, b) if w.health()[1]["scheduler"].get("leader") == "this process"]
    assert len(leaders) == 1
    leader = leaders[0]
    other = b if leader is a else a
    wait_for(lambda: len(double.sent()) >= 10, 60, "fan-out under way")
    leader.kill()  # kill -9 half-way
    killed_at = time.monotonic()
    wait_for(
        lambda: other.health()[1].get("scheduler", {}).get("leader") == "this process",
        30,
        "the other worker takes over",
    )
    takeover = time.monotonic() - killed_at
    wait_for(lambda: open_rows(url) == 0, 90, "everything delivered")
    assert other.stop()[0] == 0
    calls = sent_texts(double)
    seen = Counter((int(c["chat_id"]), c["key"]) for c in calls)
    queued = rows(url)
    lost = [r for r in queued if seen[(r.chat_id, row_key(r))] == 0]
    dup = sum(n - 1 for n in seen.values() if n > 1)
    print(
        f"two workers: {len(queued)} queued, {len(calls)} sent, lost {len(lost)}, "
        f"duplicates {dup}, takeover {takeover:.1f} s"
    )
    assert not lost
    # The Bot API has no idempotency key: only a message on the wire at the kill may repeat.
    assert dup <= 1
    # The lease is 5 s, renewed every second: a takeover is due within about 6 s (polled).
    assert takeover < 9
