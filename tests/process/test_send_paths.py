"""Every send path renders the same way: the CLI (`coachbot jobs run` for every job), the
outbox's retry after a server error, and the running bot's scheduled sends. Each message
reaches Telegram with parse_mode HTML, is valid Telegram HTML (the double refuses what
Telegram would), and shows no raw tag or double escape to the person reading it."""

from __future__ import annotations

import html
import re
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.jobs import JOBS
from tests.process.harness import base_env, build_demo_db, coachbot, copy_sqlite
from tests.process.test_run_jobs import assert_each_once, rows, sent_texts

pytestmark = pytest.mark.slow

SH = ZoneInfo("Asia/Shanghai")
WHEN = datetime(2026, 12, 7, 18, 0, tzinfo=SH)  # Monday evening: every job has something to say
_TAG = re.compile(r"<[^>]+>")


def visible(text: str) -> str:
    """What the person sees: Telegram strips the tags and decodes the entities once."""
    return html.unescape(_TAG.sub("", text))


def cli(url: str, base: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = base_env(url, tmp) | {
        "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_API_BASE_URL": f"{base}/bot",
        "COACHBOT_CLOCK_AT": WHEN.isoformat(),
    }
    return subprocess.run(
        [*coachbot(), *args], env=env, cwd=tmp, capture_output=True, text=True, timeout=120
    )


def test_every_job_sent_from_the_cli_renders_as_html(telegram, tmp_path):
    double, base = telegram
    build_demo_db(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path, WHEN.replace(hour=7))
    url = copy_sqlite(tmp_path / "demo.db", tmp_path / "firm.db")
    double.down_for = 1  # Telegram answers 502 at first: that run's messages stay queued
    for spec in JOBS:
        res = cli(url, base, tmp_path, "jobs", "run", spec.name)
        assert res.returncode == 0, res.stderr
        assert "Traceback" not in res.stderr
        if spec is JOBS[0]:
            assert "queued, not sent now" in res.stderr  # said plainly, no traceback
    assert len({r.kind for r in rows(url)}) >= 6  # plans, recaps, HR, training, scores …
    calls = sent_texts(double)
    for c in calls:
        seen = visible(str(c["text"]))
        assert not _TAG.search(seen), f"raw tag shown: {seen[:200]!r}"
        assert "&lt;" not in seen and "&amp;" not in seen and "&gt;" not in seen, seen[:200]
    # Anything Telegram would have refused as bad HTML would be `failed` here.
    failed = [r for r in rows(url) if r.status == "failed"]
    assert not failed, [(r.kind, r.last_error) for r in failed]
    assert_each_once(url, double)  # the queued ones went out with a later run, once
