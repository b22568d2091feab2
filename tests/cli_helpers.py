"""The full `coachbot` Typer app for CliRunner tests, pointed at the test database."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from bot import cli
from bot.context import AppContext
from bot.settings import get_settings

_registered = False


def full_app() -> Any:
    global _registered
    if not _registered:
        for mod in cli.CLI_MODULES:
            importlib.import_module(mod).register(cli.app)
        _registered = True
    return cli.app


@pytest.fixture
def run_cli(
    ctx: AppContext, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Result]]:
    monkeypatch.setenv("DATABASE_URL", ctx.db.url)
    monkeypatch.setenv("COACHBOT_OUTPUT_DIR", str(tmp_path / "out"))
    for var in ("TELEGRAM_BOT_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    app = full_app()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    yield invoke
    get_settings.cache_clear()
