"""`coachbot run` refreshes the planner's statistics after an ingest-API import (PostgreSQL):
the morning plan after bulk imports was planned for the old table size (134 s instead of
0.7 s with autovacuum off). Real process, real HTTP, real PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.ingest_helpers import CASES_ZH
from tests.process.faults import QUIET, double_server, small_firm
from tests.process.harness import STARTUP_S, pg_fresh, scratch_name, start_bot
from tests.servers import wait_for

PG_URL = os.environ.get("COACHBOT_TEST_DATABASE_URL")


def _calls(n: int) -> str:
    lines = ["通话编号,案件编号,开始时间,通话时长,通话结果"]
    lines += [f"P{i},K{1 + i % 2},2026-12-01 09:{i % 60:02d},{i % 300},未接通" for i in range(n)]
    return "\n".join(lines) + "\n"


def test_an_api_import_leaves_fresh_planner_statistics(tmp_path: Path) -> None:
    if not PG_URL:
        pytest.skip("PostgreSQL run skipped: COACHBOT_TEST_DATABASE_URL is not set")
    from bot.ingest_api import create_token
    from db.session import Database

    url = small_firm(pg_fresh(PG_URL, scratch_name(PG_URL, "_importstats")), staff=3)
    db = Database(url)
    with db.session() as s:
        _, token = create_token(s, "feed", "ingest", QUIET)
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE calls"))
        conn.commit()

    def known_rows() -> float:
        q = text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('calls')")
        with db.engine.connect() as conn:
            return float(conn.execute(q).scalar_one())

    assert known_rows() == 0
    with double_server() as (_, api):
        bot = start_bot(url, api, tmp_path)
        try:
            wait_for(lambda: bot.health()[0] == 200, STARTUP_S, "healthy")
            head = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
            base = f"http://127.0.0.1:{bot.port}/api/v1/ingest"
            with httpx.Client(timeout=60) as http:
                r = http.post(f"{base}/cases", content=CASES_ZH.encode(), headers=head)
                assert r.status_code == 200, r.text
                r = http.post(f"{base}/calls", content=_calls(2000).encode(), headers=head)
                assert r.status_code == 200, r.text
            assert known_rows() == 2000  # analyzed by the running bot, right after the import
        finally:
            code, _ = bot.stop()
            db.dispose()
    assert code == 0 and "Traceback" not in bot.output()
    assert "planner statistics refreshed" in bot.output()
