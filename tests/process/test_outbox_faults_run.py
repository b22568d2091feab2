"""The outbox under faults with `coachbot run` as a subprocess (tests/process/faults.py):
late answers, a database outage, a 429 storm and 403 blocks. kill -9 of the sender is
tests/process/test_run_jobs.py's two-worker test; bench/outbox_faults.py runs them all at scale.

Each runs on a small firm (40 people bound) with 120 messages queued: nothing is lost, and the
only duplicates are the messages whose answer Telegram sent too late."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.process.faults import pg_drop, run_scenario, small_firm
from tests.process.harness import pg_fresh

pytestmark = pytest.mark.slow

PG_URL = os.environ.get("COACHBOT_TEST_DATABASE_URL")
N = 120


@pytest.fixture
def firm(tmp_path: Path):  # type: ignore[no-untyped-def]
    """PostgreSQL when the suite has one (the production database), SQLite otherwise."""
    if not PG_URL:
        yield small_firm(f"sqlite:///{tmp_path / 'firm.db'}")
        return
    name = PG_URL.rpartition("/")[2].split("?")[0] + "_faults"
    yield small_firm(pg_fresh(PG_URL, name))
    pg_drop(PG_URL, name)


def test_late_answers_cost_one_duplicate_each_and_nothing_else(firm, tmp_path):
    t = run_scenario("late", firm, tmp_path, N)
    late = t.extra["late answers"]
    assert t.lost == 0 and t.delivered == t.queued == N
    # The Bot API has no idempotency key: a message whose answer never came is sent again.
    assert 1 <= t.duplicates <= late and t.most_copies <= 2
    assert t.extra["tracebacks"] == 0


def test_429_storm_holds_back_each_chat_for_its_retry_after_and_loses_nothing(firm, tmp_path):
    t = run_scenario("429", firm, tmp_path, N)
    assert t.lost == 0 and t.duplicates == 0 and t.delivered == N
    assert t.extra["429 answers"] >= N // 3
    assert t.extra["sent before retry_after"] == 0
    assert t.extra["tracebacks"] == 0


def test_403_marks_the_chat_and_the_others_continue(firm, tmp_path):
    t = run_scenario("403", firm, tmp_path, N)
    assert t.extra["calls per blocked chat"] == 1  # not retried, its other messages skipped
    assert t.extra["still marked active"] == 0
    assert t.lost == 0 and t.duplicates == 0
    # Everyone else got everything (rows to the three blocked chats: 3 chats × 3 messages).
    assert t.delivered >= N - 9
    assert t.extra["tracebacks"] == 0


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL run skipped: COACHBOT_TEST_DATABASE_URL unset")
def test_database_outage_pauses_and_resumes_without_duplicates(tmp_path):
    name = (PG_URL or "").rpartition("/")[2].split("?")[0] + "_faults"
    url = small_firm(pg_fresh(PG_URL or "", name))
    try:
        t = run_scenario("dbdown", url, tmp_path, 200)
    finally:
        pg_drop(PG_URL or "", name)
    assert t.lost == 0 and t.duplicates == 0 and t.delivered == 200
    assert t.extra["healthy again after s"] < 15
    assert t.extra["tracebacks"] == 0
