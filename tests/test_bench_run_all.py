"""`make bench` (bench/run_all.py): every bench with a `figures` function is found, runs in its
own process and lands in one table with its target verdict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import run_all  # noqa: E402  (bench/run_all.py)


def test_discovers_the_benches_by_their_figures_function() -> None:
    found = set(run_all.discover())
    assert {"fanout", "chat_latency", "memory", "ingest", "pii_eval"} <= found
    assert not found & {"run_all", "figure"}


TINY = """
from bench.figure import at_least, at_most, info

def figures(quick):
    print("tiny bench output")
    return [
        at_least("rows imported", 30000.0 if quick else 1.0, "rows/s", 20000,
                 baseline=60000.0, baseline_name="bare COPY"),
        at_most("reply p95", 150.0, "ms", 100),
        info("seen", 3, "runs"),
    ]
"""


def test_benches_run_in_their_own_process_into_one_table(tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text(TINY)
    (tmp_path / "broken.py").write_text("def figures(quick):\n    raise RuntimeError('boom')\n")
    (tmp_path / "helper.py").write_text("X = 1\n")  # no figures: not a bench
    res = subprocess.run(
        [sys.executable, "bench/run_all.py", "--dir", str(tmp_path), "--strict"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = res.stdout
    assert res.returncode == 1, out + res.stderr  # a target missed and a bench failed
    assert "2 benches (quick): broken, tiny" in out
    assert "broken: FAILED" in out and "RuntimeError: boom" in out
    assert "0.50x" in out and "PASS" in out and "FAIL" in out
    assert "1 met, 1 missed, 1 without a target; 1 bench(es) failed: broken" in out


def test_unknown_bench_is_named() -> None:
    res = subprocess.run(
        [sys.executable, "bench/run_all.py", "--only", "nosuch"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and "nosuch" in res.stdout


def test_ratio_and_verdicts_in_the_table() -> None:
    rows = [
        {
            "bench": "b",
            "name": "rate",
            "value": 600.0,
            "unit": "plans/s",
            "target": ">= 300",
            "ok": True,
            "baseline": 1200.0,
            "baseline_name": "raw",
        },
        {
            "bench": "b",
            "name": "p95",
            "value": 150.0,
            "unit": "ms",
            "target": "<= 100",
            "ok": False,
            "baseline": None,
            "baseline_name": "",
        },
    ]
    out = run_all.table(rows)
    assert "0.50x" in out and "PASS" in out and "FAIL" in out and "600 plans/s" in out
