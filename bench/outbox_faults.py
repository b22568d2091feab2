# ruff: noqa: E402 (the repository root goes on sys.path before the project imports)
"""The outbox under faults: real `coachbot run` processes, a Bot API double that misbehaves
like Telegram, PostgreSQL. Also `bench/fanout.py --faults`.

    .venv/bin/python bench/outbox_faults.py [--db URL] [--messages 400] [--only late,dbdown]

Scenarios (each on a fresh copy of the demo firm, everyone bound, N messages queued):
  baseline  no fault: the reference time
  late      the first N/40 sends are delivered but answered after the client's read timeout
  kill9     two workers; the sender gets kill -9 a third of the way through
  dbdown    the bot's PostgreSQL connections are cut and refused for 6 s (a TCP proxy)
  429       a storm: N/3 sends refused with retry_after 2 s
  403       three people blocked the bot

Prints queued, delivered, lost (must be 0), duplicates (only where an answer was lost: late
answers, the messages on the wire at kill -9), seconds and the ratio to the baseline's time.
Exit status 1 when something was lost or a limit was broken.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.process.faults import SCENARIOS, Tally, pg_clone, pg_drop, pg_template, run_scenario


def verdict(t: Tally, n: int) -> list[str]:
    """What broke the promise of the scenario (empty: kept)."""
    bad = []
    if t.lost:
        bad.append(f"{t.lost} lost")
    if t.most_copies > 2:
        bad.append(f"a message arrived {t.most_copies} times")
    allowed = {
        "late": t.extra.get("late answers", 0),
        "kill9": t.extra.get("unmarked at kill", 0),
    }.get(t.scenario, 0)
    if t.duplicates > allowed:
        bad.append(f"{t.duplicates} duplicates (allowed {allowed})")
    if t.scenario == "429" and t.extra.get("sent before retry_after"):
        bad.append("sent before retry_after ran out")
    if t.scenario == "403" and (
        t.extra.get("calls per blocked chat", 0) > 1 or t.extra.get("still marked active")
    ):
        bad.append("a blocked chat was tried again or left active")
    if t.extra.get("tracebacks"):
        bad.append("traceback in the log")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", default=os.environ.get("COACHBOT_TEST_DATABASE_URL"))
    ap.add_argument("--messages", type=int, default=400)
    ap.add_argument("--only", default=",".join(SCENARIOS))
    args = ap.parse_args()
    if not args.db or not args.db.startswith("postgresql"):
        print("needs PostgreSQL: --db postgresql+psycopg://… or COACHBOT_TEST_DATABASE_URL")
        return 2
    wanted = [s for s in args.only.split(",") if s]
    unknown = [s for s in wanted if s not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
        return 2
    if "baseline" not in wanted:
        wanted.insert(0, "baseline")
    base_name = args.db.rpartition("/")[2].split("?")[0]
    tmp = Path(tempfile.mkdtemp(prefix="outbox-faults-"))
    t0 = time.monotonic()
    template = pg_template(args.db, tmp, f"{base_name}_faults_tpl")
    print(f"demo firm ready in {time.monotonic() - t0:.0f} s; {args.messages} messages a run")
    results: list[Tally] = []
    failed = False
    for name in wanted:
        clone = f"{base_name}_faults_{name}"
        url = pg_clone(args.db, template, clone)
        run_tmp = tmp / name
        run_tmp.mkdir()
        try:
            t = run_scenario(name, url, run_tmp, args.messages)
        except AssertionError as exc:  # e.g. a worker never became healthy: report, go on
            print(f"{name:<9} FAIL: {exc}".splitlines()[0], flush=True)
            failed = True
            continue
        finally:
            pg_drop(args.db, clone)
        results.append(t)
        base = results[0].seconds if results[0].scenario == "baseline" else 0.0
        problems = verdict(t, args.messages)
        failed |= bool(problems)
        ratio = f"  ×{t.seconds / base:.2f} baseline" if base else ""
        flag = "  FAIL: " + "; ".join(problems) if problems else ""
        print(t.line() + ratio + flag, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
