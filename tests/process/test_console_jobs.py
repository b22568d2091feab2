"""The console is started the same way as `coachbot run`: its scheduler runs the jobs on the
moved clock (`--at`) and the morning plan arrives in the chat, piped or interactive."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.process.conftest import MONDAY
from tests.process.harness import base_env, coachbot, copy_sqlite

pytestmark = pytest.mark.slow

PLAN = "今日计划 2026-12-07"


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
    assert proc.stdin is not None and proc.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")))
    reader.start()
    proc.stdin.write("/whoami\n")
    proc.stdin.flush()
    # 08:40 passes while the console waits for the next line. Wait for the plan itself, not
    # a fixed time: on a loaded machine start-up alone can take longer than the 4 s to 08:40.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not any(PLAN in line for line in lines):
        time.sleep(0.2)
    time.sleep(3)  # a repeat would show up now
    proc.stdin.write("/quit\n")
    proc.stdin.flush()
    proc.stdin.close()
    proc.wait(timeout=60)
    reader.join(timeout=10)
    out = "".join(lines)
    assert proc.returncode == 0, out
    assert PLAN in out, out[-2000:]
    assert out.count(PLAN) == 1
