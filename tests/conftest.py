"""Shared fixtures. Database tests run on SQLite always and on PostgreSQL when
COACHBOT_TEST_DATABASE_URL is set (CI sets it); otherwise the PostgreSQL runs are skipped
with a visible reason."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.context import AppContext
from bot.settings import load_settings
from bot.transport.localapi import LocalBotApi
from bot.transport.localchat import LocalChat
from coaching.clock import FrozenClock
from db.models import Base
from db.session import Database


def _per_worker_database() -> str | None:
    """Under pytest-xdist each worker gets its own PostgreSQL database (<name>_gw0, …),
    created on first use; the environment variable is rewritten before any test module reads
    it, so the databases the tests derive from it (<name>_process, …) are per worker too."""
    url = os.environ.get("COACHBOT_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    mine = base.set(database=name).render_as_string(hide_password=False)
    os.environ["COACHBOT_TEST_DATABASE_URL"] = mine
    return mine


PG_URL = _per_worker_database()
if os.environ.get("PYTEST_XDIST_WORKER"):
    # xdist workers start with COLUMNS=80/LINES=24, which rich pins into the CLI's consoles at
    # import; the CLI tests set the width they mean per invocation.
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
# Monday 2026-03-02 09:00 in Shanghai.
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

_pg_db: Database | None = None


def _postgres() -> Database:
    global _pg_db
    if _pg_db is None:
        assert PG_URL
        url = load_settings(DATABASE_URL=PG_URL).database_url
        _pg_db = Database(url)
        with _pg_db.engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        _pg_db.create_all()
    return _pg_db


def _truncate(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # The fixture's database has tables but no migration stamp, whatever ran before in
        # this worker (a test that upgraded it with alembic leaves one behind).
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("PostgreSQL run skipped: COACHBOT_TEST_DATABASE_URL is not set")
        db = _postgres()
        _truncate(db)
        yield db
        return
    db = Database(f"sqlite:///{tmp_path / 'test.db'}")
    db.create_all()
    yield db
    db.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def ctx(database: Database, clock: FrozenClock, tmp_path: Path) -> AppContext:
    settings = load_settings(
        _env_file=None,
        DATABASE_URL=database.url,
        COACHBOT_OUTPUT_DIR=str(tmp_path / "out"),
        TELEGRAM_BOT_TOKEN=None,
        OPENAI_API_KEY=None,
        OPENAI_BASE_URL=None,
    )
    return AppContext(settings=settings, db=database, clock=clock)


@dataclass
class Harness:
    chat: LocalChat
    api: LocalBotApi
    errors: list[BaseException]


@pytest.fixture
async def harness(ctx: AppContext) -> AsyncIterator[Harness]:
    errors: list[BaseException] = []
    api = LocalBotApi()
    async with LocalChat(ctx, api, on_error=errors.append) as chat:
        yield Harness(chat, api, errors)
    # A handler that raised is a failed test, even if its reply looked fine.
    assert not errors, f"handlers raised: {errors!r}"
