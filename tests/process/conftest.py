"""Fixtures of the process tests: one demo database (built by `coachbot demo` as of Monday
2026-12-07 07:30 in Shanghai, everyone bound) copied for each test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from db.session import Database
from tests import factories as f
from tests.process.harness import build_demo_db
from tests.servers import serve_in_thread
from tests.telegram_double import TelegramDouble

MONDAY = datetime(2026, 12, 7, tzinfo=ZoneInfo("Asia/Shanghai"))  # a working day


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("demo")
    path = tmp / "demo.db"
    build_demo_db(f"sqlite:///{path}", tmp, MONDAY.replace(hour=7, minute=30))
    return path


USER = 4242  # the Telegram id bound to C0001 in `bound_db`


@pytest.fixture
def telegram() -> Iterator[tuple[TelegramDouble, str]]:
    """A Bot API double on a local port: (the double, its base URL)."""
    double = TelegramDouble()
    with serve_in_thread(double.app) as base:
        yield double, base


@pytest.fixture
def bound_db(tmp_path: Path) -> str:
    """A migrated SQLite database with one branch and one collector bound to USER."""
    from db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'bound.db'}"
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        b = f.branch(s)
        e = f.employee(s, "C0001", b, "collector", name="赵六")
        f.bind(s, e, USER, datetime.now(UTC))
    db.dispose()
    return url
