"""bench/ingest.py's figures for `make bench`: the target is the import against a COPY of the
same rows into `calls` (same run); the bare COPY ratio is information only."""

from __future__ import annotations

from bench.ingest import Run, pg_figures


def _run(import_s: float, bare_s: float, floor_s: float) -> Run:
    return Run("postgresql", import_s, 7.0, 20.0, bare_s, 1.0, floor_s, 11.0)


def test_target_is_against_the_copy_into_calls() -> None:
    target, bare = pg_figures(_run(29.0, 1.1, 11.0))  # 27x the bare COPY, 2.6x calls
    assert target.ok is True and target.baseline == 11.0
    assert "into calls" in target.name and target.target == "<= 3x baseline"
    assert bare.ok is None and bare.baseline == 1.1 and "bare COPY" in bare.name


def test_target_missed_above_three_times_the_copy_into_calls() -> None:
    target, _ = pg_figures(_run(40.0, 1.1, 11.0))
    assert target.ok is False
    assert round(target.ratio or 0, 2) == 3.64
