"""The console is started the same way as `coachbot run`: its scheduler runs the jobs on the
moved clock (`--at`) and the morning plan arrives in the chat, piped or interactive."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.process.conftest import MONDAY
from tests.process.harness import base_env, coachbot, copy_sqlite

pytestmark = pytest.mark.slow


def test_piped_console_gets_the_morning_plan_when_it_falls_due(demo_file: Path, tmp_path):
    url = copy_sqlite(demo_file, tmp_path / "firm.db")
    when = MONDAY.replace(hour=8, minute=39, second=56)
    proc = subprocess.Popen(
        [*coachbot(), "console", "--as", "C0001", "--at", when.isoformat()],
        env=base_env(url, tmp_path),
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdin is not None
    proc.stdin.write("/whoami\n")
    proc.stdin.flush()
    time.sleep(12)  # 08:40 passes while the console waits for the next line
    out, _ = proc.communicate("/quit\n", timeout=60)
    assert proc.returncode == 0, out
    assert "今日计划 2026-12-07" in out, out[-2000:]
    assert out.count("今日计划 2026-12-07") == 1
