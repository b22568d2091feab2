"""The backtest figures quoted in docs/hr.md, from the demo organisation (not a test).

    .venv/bin/python bench/hr_demo_backtest.py [SEED]

Builds the demo (`coachbot demo --reset --seed SEED`, default 7) in a scratch SQLite file and
runs `coachbot risk backtest --format json` on it; prints the date, the month-ends, samples,
leavers, AUC and precision@10 as one line for the docs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

BIN = Path(sys.executable).parent / "coachbot"


def main() -> None:
    seed = sys.argv[1] if len(sys.argv) > 1 else "7"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/demo.db"}
        env.pop("TELEGRAM_BOT_TOKEN", None)
        subprocess.run(
            [str(BIN), "demo", "--reset", "--seed", seed],
            env=env,
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        res = subprocess.run(
            [str(BIN), "risk", "backtest", "--format", "json"],
            env=env,
            cwd=tmp,
            check=True,
            capture_output=True,
            text=True,
        )
    d = json.loads(res.stdout)
    print(
        f"{date.today()} demo seed {seed}: {d['month_ends']} month-ends, {d['samples']} samples, "
        f"{d['leavers']} leavers, AUC {d['auc']:.3f}, precision@{d['k']} {d['precision_at_k']:.3f}"
    )


if __name__ == "__main__":
    main()
