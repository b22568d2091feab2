"""Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from bot.settings import load_settings
from db.migrate import upgrade
from db.models import Base
from db.session import make_engine
from tests.conftest import PG_URL


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()


def test_migrations_match_models_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    assert _diff(url) == []


def test_migrations_match_models_postgresql() -> None:
    if not PG_URL:
        pytest.skip("PostgreSQL run skipped: COACHBOT_TEST_DATABASE_URL is not set")
    base = load_settings(_env_file=None, DATABASE_URL=PG_URL).database_url
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migr_test CASCADE"))
        conn.execute(text("CREATE SCHEMA migr_test"))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3Dmigr_test"
    upgrade(url)
    assert _diff(url) == []


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    from db.migrate import downgrade

    url = f"sqlite:///{tmp_path / 'd.db'}"
    upgrade(url)
    downgrade(url, "base")
    upgrade(url)
    assert _diff(url) == []
