"""An import looks up the cases its rows name, 1,000 rows at a time, never the whole
`cases` table (issue #22: several imports at once each held every case of the firm)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.context import AppContext
from coaching.ingest import engine
from db.models import Call
from tests.ingest_helpers import count, run, seed_cases, world, write

CALLS = (
    "通话编号,案件编号,开始时间,通话时长,通话结果\n"
    "A1,K1,2026-03-02 09:15,95,本人接通\n"
    "A2,K1,2026-03-02 10:00:30,0,未接通\n"
    "A3, K2 ,2026-03-02 10:05,12,本人接通\n"
    "A4,K9,2026-03-02 10:10,12,本人接通\n"
    "B1,K2,2026-03-02T09:00:00+07:00,40,承诺还款\n"
)


def test_cases_are_looked_up_per_chunk(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)  # K1, K2
    asked: list[list[str]] = []
    real = engine.cases_named

    def spy(s: Any, refs: list[str]) -> Any:
        asked.append(list(refs))
        return real(s, refs)

    monkeypatch.setattr(engine, "cases_named", spy)
    monkeypatch.setattr(engine, "LOOKUP", 2)
    rep = run(ctx, "calls", write(tmp_path / "calls.csv", CALLS), skip_invalid=True)
    assert rep.valid == 4 and rep.rejected == 1
    assert [e.reason for e in rep.errors] == ["unknown case"]
    assert rep.errors[0].line == 5
    assert count(ctx, Call) == 4
    if ctx.db.is_postgres:
        # The staged path resolves the rows in SQL; the rows it leaves behind (" K2 ", K9)
        # are looked up by its fallback, one batch at a time.
        assert asked == [["K2", "K9"]]
    else:
        # One look-up per chunk of two rows, each naming only that chunk's cases.
        assert asked == [["K1"], ["K2", "K9"], ["K2"]]
