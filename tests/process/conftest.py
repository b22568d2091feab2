"""Fixtures of the process tests: one demo database (built by `coachbot demo` as of Monday
2026-12-07 07:30 in Shanghai, everyone bound) copied for each test."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.process.harness import build_demo_db

MONDAY = datetime(2026, 12, 7, tzinfo=ZoneInfo("Asia/Shanghai"))  # a working day


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("demo")
    path = tmp / "demo.db"
    build_demo_db(f"sqlite:///{path}", tmp, MONDAY.replace(hour=7, minute=30))
    return path
