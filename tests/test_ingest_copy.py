"""The PostgreSQL bulk path formats COPY text itself: awkward values must round-trip exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from bot.context import AppContext
from coaching.ingest.engine import copy_text
from db.models import Call
from tests.ingest_helpers import rows, run, seed_cases, world, write


def test_copy_text_escapes_and_stores_utc() -> None:
    at = datetime(2026, 3, 2, 9, 15, tzinfo=timezone(timedelta(hours=8)))
    got = copy_text(
        [("a\\b\tc\nd\re", 7, True, None, Decimal("12.50"), at, date(2026, 3, 1), "\\N")],
        [42],
    )
    assert got.decode() == (
        "a\\\\b\\tc\\nd\\re\t7\tt\t\\N\t12.50\t2026-03-02 01:15:00\t2026-03-01\t\\\\N\t42\n"
    )


def test_awkward_refs_round_trip(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    refs = ["X\\1", "X\\N", 'X"2,', "X\t3"]
    body = "call_ref,case_ref,started_at,duration_s,outcome\n" + "".join(
        f'"{r.replace(chr(34), chr(34) * 2)}",K1,2026-03-02 10:0{i},{i},contacted\n'
        for i, r in enumerate(refs)
    )
    rep = run(ctx, "calls", write(tmp_path / "calls.csv", body))
    assert rep.ok and rep.inserted == 4, rep.errors
    stored = {c[1]: c for c in rows(ctx, Call)}
    assert set(stored) == set(refs)
    assert stored["X\\N"][5].replace(tzinfo=UTC) == datetime(2026, 3, 2, 2, 1, tzinfo=UTC)
    again = run(ctx, "calls", write(tmp_path / "calls.csv", body))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
