"""CLI listings: Rich tables fold to an 80-column terminal (nothing cut with "…"), every
listing has --format csv and json with the same rows, team codes not database ids, and the
backtest does not claim "no snapshots" when snapshots exist."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, date, datetime

import pytest
from rich.console import Console

from bot.listing import emit, table
from coaching.risk.config import DEFAULT_PATH
from db.models import Employee, ScoreSnapshot, Team
from tests import factories as f
from tests.test_hr_backtest import cli, seed
from tests.test_hr_exit import seed as exit_seed

LONG = "同行挖角，对方开出更高的底薪和提成，另外通勤时间从两小时缩短到二十分钟，家里也更支持"


def test_table_folds_long_cells_at_80_columns() -> None:
    console = Console(width=80, record=True, color_system=None)
    rows = [["C0001", "张三", LONG, "12.5"], ["C0002", "李四", "short", "7"]]
    console.print(table(["no", "name", "detail", "rate"], rows))
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "…" not in text
    # Every character of the long cell is printed (folded over several lines).
    assert "".join(ch for ch in text if ch in LONG).count("挖角") == 1
    flat = "".join(line.split("│")[3] if line.count("│") >= 4 else "" for line in text.splitlines())
    assert LONG in flat.replace(" ", "")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_emit_csv_and_json_carry_the_same_rows(fmt: str) -> None:
    console = Console(width=80, record=True, color_system=None)
    rows = [["C0001", LONG, 3], ["C0002", 'a,b "c"', None]]
    emit(console, fmt, ["no", "detail", "n"], rows)
    text = console.export_text()
    if fmt == "csv":
        got = list(csv.reader(io.StringIO(text)))
        assert got == [["no", "detail", "n"], ["C0001", LONG, "3"], ["C0002", 'a,b "c"', ""]]
    else:
        assert json.loads(text) == [
            {"no": "C0001", "detail": LONG, "n": 3},
            {"no": "C0002", "detail": 'a,b "c"', "n": None},
        ]


def _with_teams_and_snapshots(ctx) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    with ctx.db.session() as s:
        b = s.query(Employee).filter_by(employee_no="C0001").one().branch
        t = f.team(s, b, "SH-2")
        for e in s.query(Employee).all():
            e.team_id = t.id
            for m in range(10, 13):  # Oct–Dec 2025 only (scoring started in October)
                total = 80.0 - (3 * m if e.employee_no == "C0003" else 0)
                s.add(
                    ScoreSnapshot(
                        employee_id=e.id,
                        month=date(2025, m, 1),
                        profile="A",
                        total=total,
                        components={},
                        computed_at=datetime(2026, 1, 1, tzinfo=UTC),
                    )
                )


def test_risk_list_and_backtest_listings(ctx, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _with_teams_and_snapshots(ctx)
    config = tmp_path / "risk.yaml"
    shutil.copy(DEFAULT_PATH, config)
    run = cli(ctx, monkeypatch)
    res = run("risk", "list", "--all", "--format", "csv", "--config", str(config))
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert rows and {r["team"] for r in rows} == {"SH-2"}
    team_id = str(ctx.call(lambda s: s.query(Team).filter_by(code="SH-2").one().id))
    assert all(r["team"] != team_id for r in rows)
    res = run("risk", "list", "--all", "--format", "json", "--config", str(config))
    assert [r["no"] for r in json.loads(res.stdout)] == [r["no"] for r in rows]
    res = run("risk", "backtest", "--months", "4", "--k", "3", "--config", str(config))
    assert res.exit_code == 0, res.output
    # Snapshots exist from October: the Sep 30 replay alone used the fallback, and the
    # output says so instead of claiming "no score snapshots" for the whole backtest.
    line = next(x for x in res.output.splitlines() if "signal score_falling" in x)
    assert "(no score snapshots)" not in res.output
    assert line.strip().startswith("signal score_falling: ok [3×]")
    assert "fallback for 12 of 12 people without score snapshots" in line and "[1×]" in line
    res = run(
        "risk", "backtest", "--months", "4", "--k", "3", "--config", str(config), "--format", "json"
    )
    data = json.loads(res.stdout)
    assert data["samples"] == 46 and len(data["per_month"]) == 4 and 0 <= data["auc"] <= 1


def test_backtest_says_how_often_the_fallback_was_used(ctx, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)  # no snapshots at all
    config = tmp_path / "risk.yaml"
    shutil.copy(DEFAULT_PATH, config)
    res = cli(ctx, monkeypatch)("risk", "backtest", "--months", "4", "--config", str(config))
    assert "fallback for 12 of 12 people without score snapshots" in " ".join(res.output.split())


def test_exit_list_and_attrition_formats(ctx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    exit_seed(ctx)
    run = cli(ctx, monkeypatch)
    res = run(
        "exit",
        "record",
        "C0001",
        "--last-day",
        "2026-03-01",
        "--reason-category",
        "external",
        "--detail",
        LONG,
        "--handover",
        "案件移交",
        "--handover",
        "工牌",
    )
    assert res.exit_code == 0, res.output
    res = run("exit", "list", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(res.stdout)))
    assert row["detail"] == LONG and row["handover"] == "案件移交; 工牌"
    res = run("exit", "list", "--format", "json")
    assert json.loads(res.stdout)[0]["no"] == "C0001"
    res = run("exit", "list")  # the table at the runner's width keeps the whole detail
    assert "…" not in res.stdout
    res = run("attrition", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {"month", "quarter", "tenure_12m", "exit_reason_12m"} <= {r["kind"] for r in data}
    assert any(
        r["kind"] == "exit_reason_12m" and r["group"] == "external" and r["leavers"] == 1
        for r in data
    )
    res = run("exit", "list", "--format", "xml")
    assert res.exit_code != 0
