"""After an import the planner sees the tables as they now are (db/analyze.py).

With autovacuum off, or before its next round, a morning plan after 8 imports of 20,000 calls
took 134 s instead of 0.8 s (planned for a table a tenth of its size). An import that wrote
enough rows (autovacuum's rule: 50 + 10% of the table) analyzes what it changed at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.context import AppContext
from db.analyze import due
from tests.ingest_helpers import run, seed_cases, world, write


def _calls(first: int, n: int) -> str:
    lines = ["通话编号,案件编号,开始时间,通话时长,通话结果"]
    for i in range(first, first + n):
        lines.append(f"S{i},K{1 + i % 2},2026-03-02 09:{i % 60:02d},{i % 300},未接通")
    return "\n".join(lines) + "\n"


def _known_rows(ctx: AppContext, table: str) -> float:
    # By search_path: the tests' schemas each have their own `calls`.
    q = text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)")
    with ctx.db.engine.connect() as conn:
        return float(conn.execute(q, {"t": table}).scalar_one())


def test_an_import_refreshes_the_statistics_of_what_it_changed_enough(
    ctx: AppContext, tmp_path: Path
) -> None:
    if ctx.db.engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's (SQLite's planner keeps none here)")
    world(ctx)
    seed_cases(ctx, tmp_path)
    with ctx.db.engine.connect() as conn:
        conn.execute(text("ANALYZE calls"))
        conn.commit()
    assert _known_rows(ctx, "calls") == 0
    rep = run(ctx, "calls", write(tmp_path / "a.csv", _calls(0, 2000)))
    assert rep.ok and rep.inserted == 2000, rep.errors
    assert _known_rows(ctx, "calls") == 2000  # analyzed by the import
    assert _known_rows(ctx, "call_month_activity") > 0
    # 100 more rows against statistics of 2,000 (threshold 50 + 200): left to autovacuum.
    rep = run(ctx, "calls", write(tmp_path / "b.csv", _calls(2000, 100)))
    assert rep.ok and rep.inserted == 100, rep.errors
    assert _known_rows(ctx, "calls") == 2000


@pytest.mark.parametrize(
    ("reltuples", "modified", "written", "want"),
    [
        (-1, 0, 1, False),  # never analyzed: 50 rows are enough
        (-1, 0, 50, True),
        (2000, 0, 249, False),
        (2000, 0, 250, True),
        (2000, 200, 50, True),  # earlier writes since the last ANALYZE count
        (1e7, 0, 900_000, False),
        (1e7, 0, 1_000_050, True),
        (1e7, 5_000_000, 0, False),  # nothing written by this import: not its business
    ],
)
def test_due_follows_autovacuums_rule(
    reltuples: float, modified: int, written: int, want: bool
) -> None:
    assert due(reltuples, modified, written) is want
