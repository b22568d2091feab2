"""The chart process (bot.charts.worker): charts drawn there, a dead worker replaced, only
chart functions callable, and the thread fallback."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.charts import worker
from bot.charts.worker import Chart
from coaching.scoring.snapshots import TrendPoint
from tests.process.harness import helper_dies_with_bot, run_python
from tests.servers import wait_for

PNG = b"\x89PNG"


def _points() -> tuple[TrendPoint, ...]:
    return (
        TrendPoint(date(2026, 10, 1), 71.5, 64.0),
        TrendPoint(date(2026, 11, 1), 0.0, 66.0, vetoed=True),
    )


def test_a_chart_is_drawn_by_another_process_and_a_dead_one_is_replaced(tmp_path):
    chart = Chart("bot.charts.scoring:trend_chart", (_points(), "C0001"), {"locale": "zh_CN"})
    first = tmp_path / "a.png"
    asyncio.run(worker.draw(chart, first))
    assert first.read_bytes()[:4] == PNG
    pid = worker.worker_pid()
    assert pid is not None and pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    second = tmp_path / "b.png"
    worker.draw_sync(chart, second)  # the broken pool is replaced, the chart drawn again
    assert second.read_bytes()[:4] == PNG
    assert worker.worker_pid() not in (None, pid)


def test_only_chart_functions_can_be_called(tmp_path):
    with pytest.raises(ValueError, match="not a chart function"):
        Chart("os:remove", ()).draw(tmp_path / "x")


def test_bot_process_never_imports_matplotlib(tmp_path):
    """What handlers import to ask for a chart loads no matplotlib in the caller."""
    code = (
        "import sys, asyncio, pathlib\n"
        "import handlers.score, handlers.training, handlers.hr, bot.jobs.training\n"
        "from bot.charts import worker\n"
        "from tests.test_chart_worker import _points\n"
        "c = worker.Chart('bot.charts.scoring:trend_chart', (_points(), 'C1'), {})\n"
        f"asyncio.run(worker.draw(c, pathlib.Path({str(tmp_path / 'c.png')!r})))\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = run_python(code, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert (tmp_path / "c.png").read_bytes()[:4] == PNG


def test_thread_mode_draws_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("COACHBOT_CHART_PROCESS", "0")
    chart = Chart("bot.charts.scoring:trend_chart", (_points(), "C0001"), {"locale": "en"})
    asyncio.run(worker.draw(chart, tmp_path / "t.png"))
    assert (tmp_path / "t.png").read_bytes()[:4] == PNG


def test_a_cached_chart_stays_in_its_folder_whatever_the_name_holds(tmp_path, monkeypatch):
    """The stem carries an employee number (an ingest token may create `a/../../x` or `*`):
    the file is written in the chart folder, and clearing older versions of one chart never
    globs another person's."""
    from bot.charts import cache

    async def fake_draw(chart: Chart, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)  # as bot.charts.kit.save does
        path.write_bytes(PNG)
        return path

    monkeypatch.setattr(cache, "draw", fake_draw)
    charts = tmp_path / "charts"
    charts.mkdir()
    other = charts / f"trend-AB-2026-03-{'0' * 16}.png"
    other.write_bytes(PNG)
    chart = Chart("bot.charts.scoring:trend_chart", (_points(), "x"), {"locale": "zh_CN"})
    for stem in ("trend-../../../escaped-2026-03", "trend-*-2026-03", "trend-a/b-2026-03"):
        got = asyncio.run(cache.render_once(charts, stem, chart))
        assert got.parent == charts and got.read_bytes() == PNG, (stem, got)
    assert other.exists()
    assert not any(p.name.startswith("escaped") for p in tmp_path.rglob("*"))
    assert sorted(p.parent for p in tmp_path.rglob("*.png")) == [charts] * 4


def test_the_chart_process_exits_when_the_bot_is_killed() -> None:
    """After `kill -9` of the bot no shutdown runs: the chart process watches its parent."""
    helper_dies_with_bot(
        "from bot.charts import worker\nworker.warm().result(timeout=120)\n"
        "print(worker.worker_pid(), flush=True)",
        env={"COACHBOT_CHART_PROCESS": "1"},
    )


def test_a_chart_not_drawn_in_time_fails_and_its_process_is_replaced(tmp_path, monkeypatch):
    """A hung drawing must not hold every later chart: past COACHBOT_CHART_TIMEOUT_S the
    caller gets ChartTimeout, the worker is killed, and the next chart gets a new one."""
    chart = Chart("bot.charts.scoring:trend_chart", (_points(), "C0001"), {"locale": "zh_CN"})
    worker.shutdown()  # a cold process: loading matplotlib alone outlasts 10 ms
    hung: list = []  # the processes of each pool that timed out (other tests' stay out)
    kill = worker._kill

    def spy(pool: Any) -> None:
        hung.extend((getattr(pool, "_processes", None) or {}).values())
        kill(pool)

    monkeypatch.setattr(worker, "_kill", spy)
    monkeypatch.setenv("COACHBOT_CHART_TIMEOUT_S", "0.01")
    with pytest.raises(worker.ChartTimeout):
        asyncio.run(worker.draw(chart, tmp_path / "slow.png"))
    with pytest.raises(worker.ChartTimeout):
        worker.draw_sync(chart, tmp_path / "slow2.png")
    assert hung
    for proc in hung:  # killed, not left drawing (dead: gone, or a zombie until reaped)
        wait_for(lambda p=proc: _dead(p.pid), 10, f"chart process {proc.pid} killed")
    monkeypatch.delenv("COACHBOT_CHART_TIMEOUT_S")
    asyncio.run(worker.draw(chart, tmp_path / "ok.png"))
    assert (tmp_path / "ok.png").read_bytes()[:4] == PNG
    assert not (tmp_path / "slow.png").exists()


def _dead(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def test_chart_timeout_setting(monkeypatch) -> None:
    for raw, want in (("", 30.0), ("5", 5.0), ("0", 0.01), ("x", 30.0)):
        monkeypatch.setenv("COACHBOT_CHART_TIMEOUT_S", raw)
        assert worker.timeout_s() == want
